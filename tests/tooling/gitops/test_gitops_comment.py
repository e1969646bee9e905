"""The plan-comment renderer on real `terraform show -json` fixtures (see fixtures/README.md)."""

from __future__ import annotations

import base64
import hashlib
import importlib.util
import re
from typing import TYPE_CHECKING

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from plan_fixtures import (
    ALL_PLANS,
    FIXTURES,
    LIFECYCLE,
    SCENARIOS,
    detailed_exitcode,
    fixture_log,
    fixture_text,
    load_fixture,
    scenario_variables,
)

from tooling.gitops import comment
from tooling.plan import model, summary
from tooling.plan.redaction import Redactor, build_redactor

if TYPE_CHECKING:
    from pathlib import Path


RUN = comment.RunInfo(
    commit="0123456789abcdef0123456789abcdef01234567",
    planned_commit="fedcba9876543210fedcba9876543210fedcba98",
    run_url="https://github.com/acme/sfp/actions/runs/4242",
    run_label="run 4242",
)


def render(scenario: str, env: str = "prod") -> str:
    """Render one fixture the way `invoke plan-comment` does (JSON + plan text)."""
    return comment.render(load_fixture(scenario), env, fixture_text(scenario), run=RUN)


def terraform_plan_line(text: str) -> tuple[int, int, int]:
    """(add, change, destroy) from Terraform's own `Plan: …` line in the plan text."""
    match = re.search(
        r"^Plan: (?:\d+ to import, )?(\d+) to add, (\d+) to change, (\d+) to destroy", text, re.M
    )
    assert match, "the fixture's plan text has no Plan: line"
    return int(match[1]), int(match[2]), int(match[3])


def fences_balanced(markdown: str) -> bool:
    """True when every opening code fence is closed, and every <details> too (outside fences)."""
    open_fence: str | None = None
    details = 0
    for line in markdown.split("\n"):
        match = re.match(r"^(`{3,})", line)
        if open_fence is None and match:
            open_fence = match[1]
        elif open_fence is not None and line.strip() == open_fence:
            open_fence = None
        elif open_fence is None and line.strip() == "<details>":
            details += 1
        elif open_fence is None and line.strip() == "</details>":
            details -= 1
    return open_fence is None and details == 0


@pytest.mark.parametrize("env", ["dev", "staging", "prod"])
def test_comment_starts_with_the_env_marker_commit_and_run(env: str) -> None:
    # GIVEN any plan / WHEN rendered for an env in a PR run
    body = render("code_only", env)
    lines = body.split("\n")
    # THEN the first line is that env's hidden marker (how the workflow finds the sticky comment)
    assert lines[0] == f"<!-- sfp-plan:{env} -->"
    assert lines[1] == f"## Terraform plan for `{env}`"
    # AND the header names the PR head commit, the merge commit planned, and links the run
    assert lines[2] == (
        "<sub>commit `0123456789ab` (planned as merge commit `fedcba987654`) · "
        "[run 4242](https://github.com/acme/sfp/actions/runs/4242) · Terraform 1.11.4</sub>"
    )


def test_run_info_comes_from_the_actions_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    # GIVEN the variables GitHub sets, and the PR head passed by the workflow
    monkeypatch.setenv("GITHUB_SERVER_URL", "https://github.com")
    monkeypatch.setenv("GITHUB_REPOSITORY", "acme/sfp")
    monkeypatch.setenv("GITHUB_RUN_ID", "99")
    monkeypatch.setenv("GITHUB_RUN_ATTEMPT", "2")
    monkeypatch.setenv("GITHUB_SHA", "b" * 40)
    monkeypatch.setenv("SFP_COMMIT_SHA", "a" * 40)
    # WHEN read / THEN the head commit, the planned commit and the attempt's URL are known
    run = comment.RunInfo.from_env()
    assert run.commit == "a" * 40
    assert run.planned_commit == "b" * 40
    assert run.run_url == "https://github.com/acme/sfp/actions/runs/99/attempts/2"


WITH_PLAN_LINE = [
    name for name in ALL_PLANS if name != "errored" and "\nPlan: " in fixture_text(name)
]


@pytest.mark.parametrize("scenario", WITH_PLAN_LINE)
def test_summary_matches_terraforms_own_plan_line(scenario: str) -> None:
    # GIVEN a real plan and Terraform's own "Plan:" line for it
    text = fixture_text(scenario)
    # WHEN the counts are computed from the JSON (the one model)
    counts = model.parse_plan(load_fixture(scenario)).counts
    # THEN the line is exactly Terraform's, and the comment shows it in bold (its own line, not
    # the one inside the embedded plan text)
    assert f"\n{counts.terraform_line()}\n" in text
    assert f"**{counts.terraform_line()}**" in render(scenario)


@pytest.mark.parametrize("scenario", [*ALL_PLANS])
def test_no_changes_means_exactly_detailed_exitcode_zero(scenario: str) -> None:
    # GIVEN a real plan and the exit code `terraform plan -detailed-exitcode` gave for it
    plan = model.parse_plan(load_fixture(scenario))
    # THEN the model's verdict is Terraform's (0 none, 1 errored, 2 changes)
    assert plan.detailed_exitcode == detailed_exitcode(scenario)


@pytest.mark.parametrize("scenario", [*ALL_PLANS])
def test_invoke_plan_and_the_comment_agree(scenario: str) -> None:
    # GIVEN what `invoke plan` prints (the summary line) and the comment, for one real plan
    plan_json = load_fixture(scenario)
    line = summary.summarize(plan_json).one_line()
    body = render(scenario)
    plan = model.parse_plan(plan_json)
    # THEN they say the same: errored, no changes, or the same counts and extras
    if plan.errored:
        assert line.startswith("plan errored")
        assert "errored" in body.split("\n")[1]
    elif not plan.has_changes:
        assert line.startswith("no changes")
        assert "**No changes.**" in body
    else:
        counts = plan.counts.terraform_line().removeprefix("Plan: ").removesuffix(".")
        assert line.startswith(counts)
        assert f"**Plan: {counts}.**" in body
        for name in summary.summarize(plan_json).outputs_changed:
            assert f"| `{name}` |" in body
        if plan.counts.move:
            assert f"{plan.counts.move} moved" in line
            assert f"{plan.counts.move} moved" in body
    assert ("drift:" in line) == ("### 🔀 Drift" in body)


def test_no_changes_plan_gets_a_short_comment() -> None:
    # GIVEN the base configuration planned again / WHEN rendered
    body = render("no_changes")
    # THEN it says there are no changes, with the commit and run, and nothing else to expand
    assert "## Terraform plan for `prod`: no changes" in body
    assert "**No changes.**" in body
    assert "### Changes" not in body
    assert "[!WARNING]" not in body
    assert "<details>" not in body
    assert "commit `0123456789ab`" in body


def test_an_output_only_plan_names_its_outputs_and_hides_sensitive_values() -> None:
    # GIVEN the real output-only plan: a plain output changed, a sensitive one rotated, one added
    body = render("output_only")
    variables = scenario_variables("output_only")
    # THEN it is not called "No changes", and each output is named with its change
    assert "**No changes.**" not in body
    assert "only outputs change" in body
    assert '| `greeting` | update | `"hello"` | `"hello, world"` |' in body
    assert "| `api_token` | update | _(sensitive)_ | _(sensitive)_ |" in body
    assert '| `region` | create | — | `"eu-west-1"` |' in body
    assert variables["api_token"] not in body
    assert scenario_variables("move")["api_token"] not in body


def test_replacements_come_first_with_a_warning() -> None:
    # GIVEN the replace plan (bucket rename + an in-place Lambda update)
    body = render("replace")
    # THEN the warning and the destroy/replace section precede the other changes
    warning = body.index("> [!WARNING]")
    destroys = body.index("### ⚠️ Destroys and replacements")
    bucket = body.index("`module.storage.aws_s3_bucket.uploads` — replace (forced by `bucket`)")
    others = body.index("### Other changes")
    function = body.index("`aws_lambda_function.processor` — update")
    assert warning < destroys < bucket < others < function
    assert "1 of a protected type" in body


def test_destroys_are_listed_with_their_module() -> None:
    # GIVEN the destroy plan / WHEN rendered
    body = render("destroy")
    # THEN both deletions are in the warning section, flagged as protected types
    section = body.split("### ⚠️ Destroys and replacements", 1)[1].split("<details>", 1)[0]
    assert "`module.storage.aws_dynamodb_table.audit[0]` — delete **[protected type]**" in section
    assert "`module.storage.aws_s3_bucket.scratch[0]` — delete **[protected type]**" in section
    assert "destroys or replaces 2 resources" in body


def test_other_changes_are_grouped_by_module() -> None:
    # GIVEN the huge plan (220 topics in the root module) / WHEN rendered
    body = render("huge")
    # THEN they are under the root-module heading, capped with a pointer to the full plan
    section = body.split("#### root module", 1)[1].split("<details>", 1)[0]
    assert section.count("— create") == comment.MAX_LISTED
    assert f"… and {220 - comment.MAX_LISTED} more" in section


def test_code_only_change_shows_old_and_new_artifact_sha256() -> None:
    # GIVEN the code-only plan and the base64 sha256 values Terraform recorded
    plan = load_fixture("code_only")
    (change,) = [c for c in plan["resource_changes"] if c["change"]["actions"] == ["update"]]
    old_b64 = change["change"]["before"]["source_code_hash"]
    new_b64 = change["change"]["after"]["source_code_hash"]
    assert old_b64 != new_b64
    # WHEN rendered
    body = render("code_only")
    # THEN it says "code only" and shows both hashes as hex sha256
    assert "**Change type: code only**" in body
    old_hex = base64.b64decode(old_b64).hex()
    new_hex = base64.b64decode(new_b64).hex()
    assert f"| `aws_lambda_function.processor` | `{old_hex}` | `{new_hex}` |" in body


def test_shown_hashes_are_the_sha256_of_the_zips_the_generator_built(tmp_path: Path) -> None:
    # GIVEN the two byte-reproducible zips the fixture generator deploys (v1) and plans (v2)
    spec = importlib.util.spec_from_file_location("generate", FIXTURES / "generate.py")
    generate = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(generate)
    digests = []
    for version in (1, 2):
        path = tmp_path / f"handler-v{version}.zip"
        generate.write_zip(path, generate.ZIP_BODIES[version])
        digests.append(hashlib.sha256(path.read_bytes()).hexdigest())
    # WHEN the code-only plan is rendered
    body = render("code_only")
    # THEN old → new are exactly `sha256sum` of those zips
    assert f"| `aws_lambda_function.processor` | `{digests[0]}` | `{digests[1]}` |" in body


def test_sha256_hex_conversion() -> None:
    # GIVEN a known digest / WHEN its base64 form is converted / THEN hex comes back; a value
    # that is not a base64 sha256 passes through, and an unknown one says so
    digest = hashlib.sha256(b"zip bytes").digest()
    assert comment.sha256_hex(base64.b64encode(digest).decode()) == digest.hex()
    assert comment.sha256_hex("not-base64!") == "not-base64!"
    assert comment.sha256_hex(None) == "(known after apply)"


@pytest.mark.parametrize(
    ("scenario", "expected"),
    [("code_only", "code"), ("replace", "infra"), ("huge", "infra"), ("no_changes", None)],
)
def test_change_type_detection(scenario: str, expected: str | None) -> None:
    # GIVEN a real plan / WHEN classified / THEN code vs infra is right
    changes = model.resource_changes(load_fixture(scenario))
    assert comment.change_type(changes) == expected


def test_moves_are_listed_old_to_new_and_not_counted() -> None:
    # GIVEN the real move plan (a `moved` block) / WHEN rendered
    body = render("move")
    # THEN the move is listed old → new, Terraform's line counts nothing, and it is a change
    assert "### Moved (same object, new address)" in body
    assert "- `aws_sns_topic.alerts` → `aws_sns_topic.alarms`" in body
    assert "**Plan: 0 to add, 0 to change, 0 to destroy.** · 1 moved" in body
    assert "**No changes.**" not in body


def test_imports_are_listed_with_their_id() -> None:
    body = render("import")
    assert "### Imported (existing objects brought under Terraform)" in body
    assert "- `aws_s3_bucket.imported` ← id `sfp-lc-imported`" in body
    assert "**Plan: 1 to import, 0 to add, 0 to change, 0 to destroy.**" in body


def test_forgets_say_the_object_is_kept() -> None:
    body = render("forget")
    section = body.split("### Forgotten (removed from state, NOT destroyed)", 1)[1]
    assert "- `aws_sqs_queue.jobs`" in section.split("<details>", 1)[0]
    assert "1 to forget" in body
    assert "[!WARNING]" not in body  # nothing is destroyed


def test_drift_section_says_what_changed_outside_and_what_the_plan_does() -> None:
    # GIVEN the real drift plan: a bucket retagged and a topic deleted behind Terraform's back
    body = render("drift")
    section = body.split("### 🔀 Drift: changed outside Terraform", 1)[1].split("<details>")[0]
    # THEN both are listed with what this plan does about them
    assert (
        "- `aws_s3_bucket.data` — changed: `tags`, `tags_all`; this plan will **update** it"
        in section
    )
    assert (
        "- `aws_sns_topic.alerts` — deleted outside Terraform; this plan will **create** it"
        in section
    )
    # AND the ignored retag of the logs bucket is listed as not acted on
    assert "Not acted on by this plan" in section
    assert "- `aws_s3_bucket.logs` — changed: `tags`, `tags_all`" in section


def test_drift_without_planned_changes_still_shows_in_the_short_comment() -> None:
    # GIVEN drift the configuration ignores (-detailed-exitcode 0) / WHEN rendered
    body = render("drift_ignored")
    # THEN the comment says "no changes" and still reports the drift
    assert "**No changes.**" in body
    assert "- `aws_s3_bucket.logs` — changed: `tags`, `tags_all`" in body
    assert "<details>" not in body


def test_an_errored_plan_is_marked_incomplete() -> None:
    # GIVEN the partial plan Terraform 1.11 saves when planning fails (errored, not applyable)
    plan = model.parse_plan(load_fixture("errored"))
    assert plan.errored
    assert not plan.has_changes
    # WHEN rendered / THEN it says it errored and cannot be applied
    body = render("errored")
    assert "## ❌ Terraform plan for `prod`: errored" in body
    assert "cannot be applied" in body
    assert scenario_variables("errored")["webhook_token"] not in body


def test_a_failed_plan_replaces_the_comment_with_the_redacted_error() -> None:
    # GIVEN the real output of the failed plan (a precondition printing an unmarked token)
    log = fixture_log("errored")
    token = scenario_variables("errored")["webhook_token"]
    assert token in log
    # WHEN the failure comment is rendered
    body = comment.render_failure("staging", log, run=RUN)
    # THEN it is the env's sticky comment, says the plan failed, names the commit and run,
    # carries Terraform's error, and not the token
    assert body.split("\n")[0] == "<!-- sfp-plan:staging -->"
    assert "## ❌ Terraform plan for `staging` failed" in body
    assert "commit `0123456789ab`" in body
    assert "no plan to review" in body
    assert "Error: Resource precondition failed" in body
    assert "The webhook token does not match the expected one." in body
    assert token not in body
    assert fences_balanced(body)


def test_a_failure_without_terraform_diagnostics_keeps_the_tooling_error() -> None:
    # GIVEN a run that failed before Terraform (no credentials)
    log = (
        "» terraform init (prod)\n"
        "error: no AWS credentials found for the prod env\n"
        "  → set AWS_PROFILE (aws sso login / aws configure)\n"
    )
    body = comment.render_failure("prod", log)
    assert "error: no AWS credentials found for the prod env" in body
    assert "→ set AWS_PROFILE" in body


SECRET_NAMES = ("db_password", "webhook_token", "session_salt", "api_token")


def all_fake_secrets() -> set[str]:
    """Every fake secret any scenario was planned with, base and rotated."""
    return {
        value
        for name in (*SCENARIOS, *LIFECYCLE)
        for key, value in scenario_variables(name).items()
        if key in SECRET_NAMES
    }


@pytest.mark.parametrize("scenario", [*SCENARIOS, *LIFECYCLE])
def test_no_secret_value_appears_anywhere_in_the_comment(scenario: str) -> None:
    # GIVEN every fake secret used for any scenario (sensitive var, unmarked *token* tag, Lambda
    # env value with an innocent name, sensitive output), in their base and rotated forms
    secrets = all_fake_secrets()
    assert len(secrets) == 9
    # WHEN the scenario is rendered
    body = render(scenario)
    # THEN none of them appears, in any form
    for secret in secrets:
        assert secret not in body


def test_the_plan_text_really_leaked_before_redaction() -> None:
    # GIVEN the raw plan text of the sensitive scenario (what other tools would post)
    raw = fixture_text("sensitive")
    variables = scenario_variables("sensitive")
    # THEN Terraform hides only the sensitive variable: the other two are in clear — which is why
    # redaction must come from the JSON
    assert variables["db_password"] not in raw
    assert variables["webhook_token"] in raw
    assert variables["session_salt"] in raw
    # AND the rendered comment keeps the keys but masks their values
    body = render("sensitive")
    assert '"WebhookToken" = "(redacted)" -> "(redacted)"' in body
    assert '"SESSION_SALT" = "(redacted)" -> "(redacted)"' in body


def test_secret_patterns_are_configurable() -> None:
    # GIVEN patterns that no longer match "WebhookToken"
    plan = load_fixture("sensitive")
    token = scenario_variables("sensitive")["webhook_token"]
    # WHEN rendered with only a password pattern
    body = comment.render(plan, "dev", fixture_text("sensitive"), secret_patterns=("*pass*",))
    # THEN the token shows (proving the pattern is what hid it), the salt is still hidden
    assert token in body
    assert scenario_variables("sensitive")["session_salt"] not in body


def test_huge_plan_is_truncated_under_the_limit_with_head_and_tail() -> None:
    # GIVEN the huge plan, whose text alone is far over GitHub's limit
    text = fixture_text("huge")
    assert len(text) > 3 * comment.GITHUB_COMMENT_LIMIT
    # WHEN rendered
    body = render("huge")
    # THEN the comment fits (in characters and UTF-16 units), fences are balanced, the first and
    # last lines of the plan are kept, and a note points to the run log
    assert len(body) < comment.GITHUB_COMMENT_LIMIT
    assert comment.utf16_length(body) < comment.GITHUB_COMMENT_LIMIT
    assert fences_balanced(body)
    assert "Terraform will perform the following actions:" in body  # head
    assert "Plan: 220 to add, 0 to change, 0 to destroy." in body  # tail
    assert "aws_sns_topic.extra[219]" in body  # the last resource block
    assert "lines omitted" in body
    assert "workflow run log" in body
    assert body.rstrip().endswith("</sub>")


def test_multibyte_plan_is_truncated_in_utf16_units() -> None:
    # GIVEN the real plan whose tags are mostly emoji and math letters (astral plane: 2 UTF-16
    # units each), CJK and accents
    text = fixture_text("multibyte")
    assert comment.utf16_length(text) > comment.GITHUB_COMMENT_LIMIT
    assert comment.utf16_length(text) - len(text) > 10_000  # over 10,000 astral characters
    # WHEN rendered
    body = render("multibyte")
    # THEN it fits in UTF-16 units, every fence and <details> is closed, and astral characters
    # came through whole (no lone surrogate halves)
    assert comment.utf16_length(body) <= comment.COMMENT_BUDGET
    assert fences_balanced(body)
    assert "🚀🚀🚀" in body
    assert "データ基盤チーム" in body
    body.encode("utf-8")  # a lone surrogate would raise here
    assert "lines omitted" in body


def test_text_under_the_limit_in_characters_but_over_in_utf16_is_truncated() -> None:
    # GIVEN plan text of 40,000 characters that are 80,000 UTF-16 units (len() would say "fits")
    text = "\n".join(['  + note = "' + "🚀" * 38 + '"'] * 1000)
    assert len(text) < comment.COMMENT_BUDGET < comment.utf16_length(text)
    # WHEN rendered / THEN it was truncated to fit GitHub's counting, fences closed
    body = comment.render(load_fixture("code_only"), "dev", text)
    assert comment.utf16_length(body) <= comment.COMMENT_BUDGET
    assert "lines omitted" in body
    assert fences_balanced(body)


def test_one_enormous_line_is_cut_at_a_character_boundary() -> None:
    # GIVEN a single line of 100,000 astral characters (no newline to cut at)
    text = "😀" * 100_000
    # WHEN rendered / THEN its start is kept, cut whole, and the comment fits
    body = comment.render(load_fixture("code_only"), "dev", text)
    assert comment.utf16_length(body) <= comment.COMMENT_BUDGET
    assert "😀😀😀…" in body
    assert fences_balanced(body)


def test_a_long_backtick_run_still_fits_with_its_longer_fence() -> None:
    # GIVEN plan text with a run of 3,000 backticks (its fence must be longer still) and enough
    # lines to be truncated
    text = "`" * 3000 + "\n" + "\n".join(["  + tag = " + "a" * 60] * 2000)
    # WHEN rendered / THEN the fence's length was counted: the comment fits, blocks closed
    body = comment.render(load_fixture("code_only"), "dev", text)
    assert comment.utf16_length(body) <= comment.COMMENT_BUDGET
    assert fences_balanced(body)


def test_a_secret_across_the_cut_of_one_enormous_line_leaves_no_prefix() -> None:
    # GIVEN one line (no newline to cut at) of the plan's secret token, repeated with fillers of
    # every length, so that wherever the line is cut, a token straddles the cut in some case
    plan = load_fixture("sensitive")
    token = scenario_variables("sensitive")["webhook_token"]
    for filler in range(len(token)):
        text = ("q" * (filler + 1) + token) * (120_000 // (len(token) + filler + 1))
        # WHEN rendered
        body = comment.render(plan, "dev", text)
        # THEN the line was masked before the cut: not even a prefix of the token is left
        assert token[:8] not in body, filler
        assert comment.utf16_length(body) <= comment.COMMENT_BUDGET


def test_masks_longer_than_what_they_hide_are_cut_again_to_fit() -> None:
    # GIVEN kept lines full of a short secret whose mask is twice as long as its quoted form
    redactor = Redactor(secrets={"wxyz"})
    text = "\n".join(['"wxyz" ' * 20] * 2000)
    budget = 20_000
    # WHEN the plan text section is built for that budget
    section = "\n".join(comment._details(text, budget, comment.RunInfo(), redactor))
    # THEN the masked text was truncated again: the section keeps to its budget, nothing leaks
    assert comment.utf16_length(section) <= budget
    assert "wxyz" not in section


@settings(max_examples=40, deadline=None)
@given(
    st.lists(
        st.text(
            alphabet=st.sampled_from(["a", " ", "`", "é", "日", "🚀", "😀", "<", ">", "|"]),
            max_size=3000,
        ),
        min_size=1,
        max_size=60,
    )
)
def test_any_text_renders_under_the_limit_with_closed_blocks(lines: list[str]) -> None:
    # GIVEN arbitrary plan text: backtick runs, HTML-ish characters, astral and CJK characters
    text = "\n".join(lines)
    # WHEN rendered
    body = comment.render(load_fixture("destroy"), "prod", text)
    # THEN it always fits and never leaves a fence or <details> open
    assert comment.utf16_length(body) <= comment.COMMENT_BUDGET
    assert fences_balanced(body)


def test_thousands_of_changes_in_many_modules_still_fit() -> None:
    # GIVEN the huge plan's 220 real topic changes, copied 10x and spread over 2,200 modules (a
    # transformation of real Terraform output, to reach a size no fixture config would)
    plan = load_fixture("huge")
    creates = [c for c in plan["resource_changes"] if c["change"]["actions"] == ["create"]]
    spread = []
    for copy in range(10):
        for index, change in enumerate(creates):
            module = f"module.m{copy:02d}_{index:03d}"
            spread.append({**change, "module_address": module, "address": f"{module}.x"})
    plan = {**plan, "resource_changes": spread}
    # WHEN rendered with the huge plan text
    body = comment.render(plan, "prod", fixture_text("huge"))
    # THEN it still fits, lists fewer modules with a count of the rest, and keeps the plan's tail
    assert comment.utf16_length(body) <= comment.COMMENT_BUDGET
    assert "Plan: 2200 to add, 0 to change, 0 to destroy" in body
    assert "more modules (full plan below)" in body
    assert fences_balanced(body)
    assert "Plan: 220 to add, 0 to change, 0 to destroy." in body


def test_truncation_note_links_the_run_when_in_actions(monkeypatch: pytest.MonkeyPatch) -> None:
    # GIVEN the GitHub run variables
    monkeypatch.setenv("GITHUB_SERVER_URL", "https://github.com")
    monkeypatch.setenv("GITHUB_REPOSITORY", "acme/sfp")
    monkeypatch.setenv("GITHUB_RUN_ID", "12345")
    # WHEN the huge plan is rendered with the run read from them / THEN the note links that run
    run = comment.RunInfo.from_env()
    body = comment.render(load_fixture("huge"), "prod", fixture_text("huge"), run=run)
    assert "[the workflow run log](https://github.com/acme/sfp/actions/runs/12345)" in body


def test_small_plans_are_embedded_whole() -> None:
    # GIVEN a small plan / WHEN rendered / THEN the whole text is inside <details>, not truncated
    body = render("destroy")
    assert "<details>" in body
    assert "lines omitted" not in body
    assert "Plan: 0 to add, 0 to change, 2 to destroy." in body
    assert fences_balanced(body)


def test_fence_outgrows_backticks_in_the_plan_text() -> None:
    # GIVEN plan text that itself contains a fence (e.g. a heredoc with Markdown in it)
    text = "resource x {\n  doc = <<EOT\n````\ncode\n````\nEOT\n}\n"
    plan = load_fixture("code_only")
    # WHEN rendered
    body = comment.render(plan, "dev", text)
    # THEN a longer fence wraps it, so the block cannot close early
    assert "`````text" in body
    assert fences_balanced(body)


def test_real_product_code_only_plan_lists_both_functions() -> None:
    # GIVEN a plan of the real local env root after a handler-only change (generate_local.sh)
    plan = load_fixture("local_code_only")
    text = fixture_text("local_code_only")
    assert terraform_plan_line(text) == (0, 2, 0)
    # WHEN rendered
    body = comment.render(plan, "local", text)
    # THEN it is "code only", and both functions built from the one zip show the same old → new
    assert "**Change type: code only**" in body
    rows = [line for line in body.splitlines() if line.startswith("| `module.compute.")]
    assert len(rows) == 2
    hashes = {tuple(cell.strip(" `") for cell in row.split("|")[2:4]) for row in rows}
    ((old, new),) = hashes
    assert old != new
    assert re.fullmatch(r"[0-9a-f]{64}", old)
    assert re.fullmatch(r"[0-9a-f]{64}", new)


def test_real_product_env_values_do_not_shred_resource_names() -> None:
    # GIVEN the real local plan, whose functions carry env values such as the service name
    plan = load_fixture("local_code_only")
    redactor = build_redactor(plan)
    assert "file-processor" in redactor.whole_values
    # WHEN rendered / THEN names that merely contain such a value stay readable
    body = comment.render(plan, "local", fixture_text("local_code_only"))
    assert '"sfp-processor-use1-local"' in body
    assert '"sfp-api-use1-local"' in body
    # AND settings whose names only look secret (api_key_source) are not treated as secrets
    assert redactor.secrets == set()


def test_a_job_that_failed_before_planning_still_replaces_the_comment(tmp_path: Path) -> None:
    # GIVEN no plan log (the build or the credentials step failed first)
    # WHEN the comment is written from the missing log
    written = comment.write_comment(
        "dev", tmp_path / "comment.md", failed_log=tmp_path / "missing.log", run=RUN
    )
    body = written.read_text(encoding="utf-8")
    # THEN it is still the env's sticky comment saying there is no plan, and why
    assert body.startswith("<!-- sfp-plan:dev -->\n## ❌ Terraform plan for `dev` failed")
    assert "the plan did not run, because an earlier step of the job failed" in body


@pytest.mark.parametrize(("scenario", "code"), [("no_changes", 0), ("drift", 2), ("errored", 1)])
def test_drift_check_exits_as_detailed_exitcode(tmp_path, scenario: str, code: int) -> None:
    # GIVEN a saved plan's JSON of each kind (an errored one included)
    import json

    from invoke import Context
    from invoke.exceptions import Exit

    from tooling.commands import gitops as gitops_commands

    (tmp_path / comment.PLAN_JSON_NAME).write_text(json.dumps(load_fixture(scenario)))
    # WHEN the drift check reads it THEN it exits as `terraform plan -detailed-exitcode` would:
    # an errored plan is not "no drift"
    assert comment.drift_exitcode("dev", tmp_path) == code
    if code == 0:
        return
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(gitops_commands, "work_dir", lambda env, emulated: tmp_path)
        with pytest.raises(Exit) as raised:
            gitops_commands.drift_check(Context(), env="dev")
    assert raised.value.code == code
