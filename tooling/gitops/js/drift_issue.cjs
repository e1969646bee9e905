// Open, update or close ONE drift issue per env, found by its hidden marker.
//
// Called from actions/github-script (see .github/workflows/drift.yml):
//   await require('./tooling/js/drift_issue.cjs')({ github, context, env, drifted, bodyFile, runUrl })
// With drift: create the issue, or replace the body of the open one. Without drift: close the
// open one (if any) with a comment, so an open drift issue always means "drifted right now".
const fs = require("node:fs");

function markerFor(env) {
  return `<!-- sfp-drift:${env} -->`;
}

module.exports = async function driftIssue({ github, context, env, drifted, bodyFile, runUrl }) {
  if (!/^[a-z]+$/.test(env)) {
    throw new Error(`unexpected env name ${JSON.stringify(env)}`);
  }
  const marker = markerFor(env);
  const { owner, repo } = context.repo;
  const open = await github.paginate(github.rest.issues.listForRepo, {
    owner,
    repo,
    state: "open",
    per_page: 100,
  });
  const existing = open.find(
    (i) =>
      !i.pull_request &&
      i.user &&
      i.user.type === "Bot" &&
      typeof i.body === "string" &&
      i.body.startsWith(marker),
  );
  if (!drifted) {
    if (!existing) return { action: "none" };
    await github.rest.issues.createComment({
      owner,
      repo,
      issue_number: existing.number,
      body: `No drift in \`${env}\` any more (${runUrl}). Closing.`,
    });
    await github.rest.issues.update({ owner, repo, issue_number: existing.number, state: "closed" });
    return { action: "closed", number: existing.number };
  }
  const rendered = fs.readFileSync(bodyFile, "utf8");
  const body = [
    marker,
    `The scheduled drift check found that \`${env}\` no longer matches \`main\` (${runUrl}).`,
    "Either apply `main` again (re-run the deploy workflow) or bring the change into the code.",
    "",
    rendered,
  ].join("\n");
  if (existing) {
    await github.rest.issues.update({ owner, repo, issue_number: existing.number, body });
    return { action: "updated", number: existing.number };
  }
  const created = await github.rest.issues.create({
    owner,
    repo,
    title: `Drift detected in ${env}`,
    body,
  });
  return { action: "created", number: created.data.number };
};

module.exports.markerFor = markerFor;
