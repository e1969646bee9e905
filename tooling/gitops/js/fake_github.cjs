// A recording fake of the GitHub REST API, for rehearsing the workflows' github-script steps
// (`invoke rehearse`) and for the tests. It keeps issues, pull requests and comments in a JSON
// state file (so several steps and runs see each other's writes) and records every call.
//
//   const { makeFake } = require("./fake_github.cjs");
//   const { github, save } = makeFake(stateFile);   // ... use github.rest.issues.* ...; save();
//
// State file: { nextId, issues: [{number, title, body, state, user, pull_request?}],
//   comments: [{id, issue_number, body, user}], pulls: [{number, merged_at, merge_commit_sha}],
//   calls: [{name, params}] }. Objects written by the fake are authored by a Bot, like the
//   workflows' GITHUB_TOKEN; seed human ones with user.type "User".
const fs = require("node:fs");

const BOT = { login: "github-actions[bot]", type: "Bot" };

function load(stateFile) {
  const empty = { nextId: 1000, issues: [], comments: [], pulls: [], calls: [] };
  if (!fs.existsSync(stateFile)) return empty;
  return { ...empty, ...JSON.parse(fs.readFileSync(stateFile, "utf8")) };
}

function makeFake(stateFile) {
  const state = load(stateFile);
  const record = (name, params) => state.calls.push({ name, params });
  const id = () => state.nextId++;
  const need = (params, ...keys) => {
    for (const key of keys) {
      if (params[key] === undefined) throw new Error(`fake GitHub: ${key} is required`);
    }
  };
  const issue = (number) => {
    const found = state.issues.find((i) => i.number === number);
    if (!found) throw new Error(`fake GitHub: no issue #${number} (HTTP 404)`);
    return found;
  };
  const rest = {
    issues: {
      async listComments(params) {
        record("issues.listComments", params);
        need(params, "owner", "repo", "issue_number");
        return { data: state.comments.filter((c) => c.issue_number === params.issue_number) };
      },
      async createComment(params) {
        record("issues.createComment", params);
        need(params, "owner", "repo", "issue_number", "body");
        if (params.body.length > 65536) throw new Error("fake GitHub: body is too long (HTTP 422)");
        const comment = { id: id(), issue_number: params.issue_number, body: params.body, user: BOT };
        state.comments.push(comment);
        return { data: comment };
      },
      async updateComment(params) {
        record("issues.updateComment", params);
        need(params, "owner", "repo", "comment_id", "body");
        if (params.body.length > 65536) throw new Error("fake GitHub: body is too long (HTTP 422)");
        const comment = state.comments.find((c) => c.id === params.comment_id);
        if (!comment) throw new Error(`fake GitHub: no comment ${params.comment_id} (HTTP 404)`);
        comment.body = params.body;
        return { data: comment };
      },
      async listForRepo(params) {
        record("issues.listForRepo", params);
        need(params, "owner", "repo");
        const wanted = params.state || "open";
        return { data: state.issues.filter((i) => wanted === "all" || i.state === wanted) };
      },
      async create(params) {
        record("issues.create", params);
        need(params, "owner", "repo", "title");
        const created = { number: id(), title: params.title, body: params.body || "", state: "open", user: BOT };
        state.issues.push(created);
        return { data: created };
      },
      async update(params) {
        record("issues.update", params);
        need(params, "owner", "repo", "issue_number");
        const found = issue(params.issue_number);
        for (const key of ["title", "body", "state"]) {
          if (params[key] !== undefined) found[key] = params[key];
        }
        return { data: found };
      },
    },
    repos: {
      async listPullRequestsAssociatedWithCommit(params) {
        record("repos.listPullRequestsAssociatedWithCommit", params);
        need(params, "owner", "repo", "commit_sha");
        return { data: state.pulls.filter((p) => p.merge_commit_sha === params.commit_sha) };
      },
    },
  };
  const github = {
    rest,
    async paginate(method, params) {
      record("paginate", params);
      const { data } = await method(params);
      return data;
    },
  };
  const save = () => fs.writeFileSync(stateFile, JSON.stringify(state, null, 2));
  return { github, state, save };
}

module.exports = { makeFake, BOT };
