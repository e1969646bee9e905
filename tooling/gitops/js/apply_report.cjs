// Post (or update) ONE apply report per env on the pull request that was merged into the
// deployed commit, found by its hidden marker.
//
// Called from actions/github-script (see .github/workflows/deploy.yml):
//   await require('./tooling/gitops/js/apply_report.cjs')({ github, context, env, bodyFile })
// The body is the file `invoke apply-report` wrote (never an argument or an expression). A push
// that no merged pull request produced (a direct push, a manual run) gets no comment: the report
// is in the job summary either way.
const fs = require("node:fs");

function markerFor(env) {
  return `<!-- sfp-apply:${env} -->`;
}

module.exports = async function applyReport({ github, context, env, bodyFile }) {
  if (!/^[a-z]+$/.test(env)) {
    throw new Error(`unexpected env name ${JSON.stringify(env)}`);
  }
  const marker = markerFor(env);
  const body = fs.readFileSync(bodyFile, "utf8");
  if (!body.startsWith(marker)) {
    throw new Error(`${bodyFile} does not start with ${marker}: render it with invoke apply-report`);
  }
  const { owner, repo } = context.repo;
  const { data: pulls } = await github.rest.repos.listPullRequestsAssociatedWithCommit({
    owner,
    repo,
    commit_sha: context.sha,
  });
  const merged = pulls.filter((pull) => pull.merged_at);
  if (merged.length === 0) return { action: "none" };
  const results = [];
  for (const pull of merged) {
    const comments = await github.paginate(github.rest.issues.listComments, {
      owner,
      repo,
      issue_number: pull.number,
      per_page: 100,
    });
    const existing = comments.find(
      (c) => c.user && c.user.type === "Bot" && typeof c.body === "string" && c.body.startsWith(marker),
    );
    if (existing) {
      await github.rest.issues.updateComment({ owner, repo, comment_id: existing.id, body });
      results.push({ action: "updated", pull: pull.number, id: existing.id });
    } else {
      const created = await github.rest.issues.createComment({
        owner,
        repo,
        issue_number: pull.number,
        body,
      });
      results.push({ action: "created", pull: pull.number, id: created.data.id });
    }
  }
  return { action: results.map((r) => r.action).join(","), results };
};

module.exports.markerFor = markerFor;
