// Create or update ONE pull-request comment per env, found by its hidden marker.
//
// Called from actions/github-script (see .github/workflows/pr.yml):
//   await require('./tooling/js/sticky_comment.cjs')({ github, context, env, bodyFile })
// The body is read from a FILE, never passed as an argument or expression: a large plan comment
// would hit "Argument list too long" (actions/github-script#266) and an expression would let
// plan text flow into a script.
const fs = require("node:fs");

function markerFor(env) {
  return `<!-- sfp-plan:${env} -->`;
}

module.exports = async function stickyComment({ github, context, env, bodyFile }) {
  if (!/^[a-z]+$/.test(env)) {
    throw new Error(`unexpected env name ${JSON.stringify(env)}`);
  }
  const marker = markerFor(env);
  const body = fs.readFileSync(bodyFile, "utf8");
  if (!body.startsWith(marker)) {
    throw new Error(`${bodyFile} does not start with ${marker}: render it with invoke plan-comment`);
  }
  const { owner, repo } = context.repo;
  const issue_number = context.issue.number;
  const comments = await github.paginate(github.rest.issues.listComments, {
    owner,
    repo,
    issue_number,
    per_page: 100,
  });
  // Only our own bot comments: a human quoting the marker must not get their comment replaced.
  const existing = comments.find(
    (c) => c.user && c.user.type === "Bot" && typeof c.body === "string" && c.body.startsWith(marker),
  );
  if (existing) {
    await github.rest.issues.updateComment({ owner, repo, comment_id: existing.id, body });
    return { action: "updated", id: existing.id };
  }
  const created = await github.rest.issues.createComment({ owner, repo, issue_number, body });
  return { action: "created", id: created.data.id };
};

module.exports.markerFor = markerFor;
