"""The plan-comment renderer on real `terraform show -json` fixtures (see fixtures/README.md)."""

from __future__ import annotations

import base64
import hashlib
import importlib.util
import re
from typing import TYPE_CHECKING

import pytest
from plan_fixtures import FIXTURES, SCENARIOS, fixture_text, load_fixture, scenario_variables

from tooling.gitops import comment
from tooling.plan import model

if TYPE_CHECKING:
    from pathlib import Path


def render(scenario: str, env: str = "prod") -> str:
    """Render one fixture the way `invoke plan-comment` does (JSON + plan text)."""
    return comment.render(load_fixture(scenario), env, fixture_text(scenario))


def terraform_plan_line(text: str) -> tuple[int, int, int]:
    """(add, change, destroy) from Terraform's own `Plan: …` line in the plan text."""
    match = re.search(r"^Plan: (\d+) to add, (\d+) to change, (\d+) to destroy\.$", text, re.M)
    assert match, "the fixture's plan text has no Plan: line"
    return int(match[1]), int(match[2]), int(match[3])


def fences_balanced(markdown: str) -> bool:
    """True when every opening code fence has a matching closing fence of the same length."""
    open_fence: str | None = None
    for line in markdown.splitlines():
        match = re.match(r"^(`{3,})", line)
        if not match:
            continue
        if open_fence is None:
            open_fence = match[1]
        elif line.strip() == open_fence:
            open_fence = None
    return open_fence is None


@pytest.mark.parametrize("env", ["dev", "staging", "prod"])
def test_comment_starts_with_the_env_marker(env: str) -> None:
    # GIVEN any plan / WHEN rendered for an env
    body = render("code_only", env)
    # THEN the first line is that env's hidden marker (how the workflow finds the sticky comment)
    assert body.splitlines()[0] == f"<!-- sfp-plan:{env} -->"
    assert f"## Terraform plan for `{env}`" in body


@pytest.mark.parametrize("scenario", [s for s in SCENARIOS if s != "no_changes"])
def test_summary_matches_terraforms_own_count(scenario: str) -> None:
    # GIVEN a real plan and Terraform's own "Plan:" line for it
    add, change, destroy = terraform_plan_line(fixture_text(scenario))
    # WHEN the summary is computed from the JSON
    summary = comment.summarize(model.resource_changes(load_fixture(scenario)))
    # THEN it agrees with Terraform, and the rendered comment shows it
    assert (summary.add, summary.change, summary.destroy) == (add, change, destroy)
    # (the comment's own bold summary line, not Terraform's line inside the embedded plan text)
    assert f"**Plan: {add} to add, {change} to change, {destroy} to destroy" in render(scenario)


def test_no_changes_plan_says_so() -> None:
    # GIVEN the base configuration planned again / WHEN rendered
    body = render("no_changes")
    # THEN it says there are no changes and lists no change sections
    assert "**No changes.**" in body
    assert "### Changes" not in body
    assert "[!WARNING]" not in body


def test_an_output_only_plan_is_not_called_no_changes() -> None:
    # GIVEN the no-change plan in which one output changes (what drift detection flags as 2)
    plan = load_fixture("no_changes")
    plan["output_changes"] = {"api_url": {"actions": ["update"], "before": "a", "after": "b"}}
    # WHEN rendered
    body = comment.render(plan, "prod", fixture_text("no_changes"))
    # THEN it says only outputs change instead of "No changes"
    assert comment.has_changes(plan)
    assert "**Only outputs change**" in body
    assert "**No changes.**" not in body


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


SECRET_NAMES = ("db_password", "webhook_token", "session_salt")


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_no_secret_value_appears_anywhere_in_the_comment(scenario: str) -> None:
    # GIVEN every fake secret used for any scenario (sensitive var, unmarked *token* tag, Lambda
    # env value with an innocent name), in their base and rotated forms
    secrets = {scenario_variables(name)[key] for name in SCENARIOS for key in SECRET_NAMES}
    assert len(secrets) == 6
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


def test_redactor_reads_masks_patterns_and_lambda_env_from_json() -> None:
    # GIVEN the sensitive plan's JSON / WHEN its secret sets are built
    redactor = comment.build_redactor(load_fixture("sensitive"))
    variables = scenario_variables("sensitive")
    # THEN the marked and name-pattern secrets are masked everywhere…
    assert {variables["db_password"], variables["webhook_token"]} <= redactor.secrets
    # …the Lambda env value as a whole token…
    assert variables["session_salt"] in redactor.whole_values
    # …but a Lambda env value that is also a plain attribute elsewhere (the bucket name) is not
    assert "sfp-fixture-uploads" not in redactor.secrets | redactor.whole_values


def test_secret_patterns_are_configurable() -> None:
    # GIVEN patterns that no longer match "WebhookToken"
    plan = load_fixture("sensitive")
    token = scenario_variables("sensitive")["webhook_token"]
    # WHEN rendered with only a password pattern
    body = comment.render(plan, "dev", fixture_text("sensitive"), secret_patterns=("*pass*",))
    # THEN the token shows (proving the pattern is what hid it), the salt is still hidden
    assert token in body
    assert scenario_variables("sensitive")["session_salt"] not in body


def test_mask_handles_quoted_short_and_embedded_values() -> None:
    # GIVEN a redactor with a short and a long secret
    redactor = comment.Redactor(secrets={"abc", "long-secret-value"})
    # WHEN text containing them in several forms is masked
    text = 'x = "abc"\ny = "prefix-long-secret-value-suffix"\nabcdef stays'
    masked = redactor.mask(text)
    # THEN quoted and embedded occurrences are masked; a short secret is not masked inside words
    assert masked == 'x = "(redacted)"\ny = "prefix-(redacted)-suffix"\nabcdef stays'


def test_lambda_env_values_are_masked_as_whole_tokens_only() -> None:
    # GIVEN an env-var value that is also part of a resource name
    redactor = comment.Redactor(whole_values={"file-processor"})
    text = '"SERVICE" = "file-processor"\nname = "sfp-dev-file-processor"\nsvc: file-processor\n'
    # WHEN masked
    masked = redactor.mask(text)
    # THEN the value is hidden where it stands alone, and the longer name is left readable
    assert masked == '"SERVICE" = "(redacted)"\nname = "sfp-dev-file-processor"\nsvc: (redacted)\n'


def test_multiline_secrets_are_masked_line_by_line() -> None:
    # GIVEN a multi-line secret (a PEM key), which plan text prints as a heredoc, line by line
    key = "-----BEGIN KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC\n-----END KEY-----"
    text = "key = <<-EOT\n    -----BEGIN KEY-----\n    MIIEvQIBADANBgkqhkiG9w0BAQEFAASC\n  EOT\n"
    # WHEN masked
    masked = comment.Redactor(secrets={key}).mask(text)
    # THEN no line of it survives
    assert "MIIEvQIBADANBgkqhkiG9w0BAQEFAASC" not in masked
    assert "BEGIN KEY" not in masked


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
    assert comment.utf16_length(body) < comment.GITHUB_COMMENT_LIMIT
    assert "Plan: 2200 to add, 0 to change, 0 to destroy" in body
    assert "more modules (full plan below)" in body
    assert fences_balanced(body)
    assert "Plan: 220 to add, 0 to change, 0 to destroy." in body


def test_truncation_note_links_the_run_when_in_actions(monkeypatch: pytest.MonkeyPatch) -> None:
    # GIVEN the GitHub run variables
    monkeypatch.setenv("GITHUB_SERVER_URL", "https://github.com")
    monkeypatch.setenv("GITHUB_REPOSITORY", "acme/sfp")
    monkeypatch.setenv("GITHUB_RUN_ID", "12345")
    # WHEN the huge plan is rendered / THEN the note links that run
    assert "(https://github.com/acme/sfp/actions/runs/12345)" in render("huge")


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
    plan = load_fixture("no_changes")
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
    redactor = comment.build_redactor(plan)
    assert "file-processor" in redactor.whole_values
    # WHEN rendered / THEN names that merely contain such a value stay readable
    body = comment.render(plan, "local", fixture_text("local_code_only"))
    assert '"sfp-processor-use1-local"' in body
    assert '"sfp-api-use1-local"' in body
    # AND settings whose names only look secret (api_key_source) are not treated as secrets
    assert redactor.secrets == set()
