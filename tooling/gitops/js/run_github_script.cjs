// Run the `script:` of an actions/github-script step the way the action does (an async function
// of github, context, core, require, …), with the recording fake GitHub API instead of the
// real one. Used by `invoke rehearse`.
//
//   node run_github_script.cjs SCRIPT_FILE CONTEXT_JSON_FILE STATE_FILE
// Env: the step's env (process.env, as in the action); GITHUB_OUTPUT for core.setOutput.
// Exit 1 when the script throws or calls core.setFailed.
const fs = require("node:fs");
const path = require("node:path");
const { createRequire } = require("node:module");
const { makeFake } = require("./fake_github.cjs");

async function main([scriptFile, contextFile, stateFile]) {
  const script = fs.readFileSync(scriptFile, "utf8");
  const context = JSON.parse(fs.readFileSync(contextFile, "utf8"));
  context.issue = { owner: context.repo.owner, repo: context.repo.repo, number: context.issueNumber };
  const { github, save } = makeFake(stateFile);
  let failed = null;
  const core = {
    info: (message) => console.log(message),
    notice: (message) => console.log(`::notice::${message}`),
    warning: (message) => console.log(`::warning::${message}`),
    error: (message) => console.log(`::error::${message}`),
    setFailed: (message) => {
      failed = String(message);
      console.log(`::error::${message}`);
    },
    setOutput: (name, value) => {
      if (process.env.GITHUB_OUTPUT) {
        fs.appendFileSync(process.env.GITHUB_OUTPUT, `${name}=${value}\n`);
      }
    },
  };
  // github-script resolves relative requires against the workspace (the job's cwd).
  const workspaceRequire = createRequire(path.join(process.cwd(), "github-script.cjs"));
  const AsyncFunction = Object.getPrototypeOf(async () => {}).constructor;
  const run = new AsyncFunction("github", "context", "core", "require", script);
  try {
    await run(github, context, core, workspaceRequire);
  } finally {
    save();
  }
  if (failed !== null) return 1;
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error) => {
    console.log(`::error::${error && error.stack ? error.stack : error}`);
    process.exit(1);
  },
);
