"""Redaction: secrets collected from the plan JSON, masked in one pass, names left readable."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from plan_fixtures import load_fixture, scenario_variables

from tooling.plan import redaction
from tooling.plan.model import parse_plan
from tooling.plan.redaction import REDACTED, Redactor, build_redactor, mask_log

if TYPE_CHECKING:
    import pytest


def test_redactor_reads_masks_patterns_and_lambda_env_from_json() -> None:
    # GIVEN the sensitive plan's JSON / WHEN its secret sets are built
    redactor = build_redactor(parse_plan(load_fixture("sensitive")))
    variables = scenario_variables("sensitive")
    # THEN the marked and name-pattern secrets are masked everywhere…
    assert {variables["db_password"], variables["webhook_token"]} <= redactor.secrets
    # …the Lambda env value as a whole token…
    assert variables["session_salt"] in redactor.whole_values
    # …but a Lambda env value that is also a plain attribute elsewhere (the bucket name) is not
    assert "sfp-fixture-uploads" not in redactor.secrets | redactor.whole_values


def test_sensitive_outputs_and_variables_are_secrets() -> None:
    # GIVEN the output-only plan: a sensitive output rotated from a sensitive variable
    redactor = build_redactor(load_fixture("output_only"))
    variables = scenario_variables("output_only")
    # THEN the rotated token (new value) is a secret, the plain greeting is not
    assert variables["api_token"] in redactor.secrets
    assert variables["greeting"] not in redactor.secrets | redactor.whole_values


def test_a_sensitive_variable_and_a_secret_named_output_are_secrets_on_their_own() -> None:
    # GIVEN a plan where a sensitive root variable's value appears nowhere else, and an output
    # named like a secret that no one marked sensitive
    plan = {
        "format_version": "1.2",
        "applyable": True,
        "errored": False,
        "variables": {"db_password": {"value": "only-in-the-variables-1"}},
        "configuration": {"root_module": {"variables": {"db_password": {"sensitive": True}}}},
        "output_changes": {
            "x_token": {"actions": ["create"], "before": None, "after": "unmarked-token-value-2"}
        },
    }
    # WHEN the redactor is built from it
    redactor = build_redactor(plan)
    # THEN both values are secrets: a failed apply's log that prints them is masked
    assert {"only-in-the-variables-1", "unmarked-token-value-2"} <= redactor.secrets


def test_mask_handles_quoted_short_and_embedded_values() -> None:
    # GIVEN a redactor with a short and a long secret
    redactor = Redactor(secrets={"abc", "long-secret-value"})
    # WHEN text containing them in several forms is masked
    text = 'x = "abc"\ny = "prefix-long-secret-value-suffix"\nabcdef stays'
    masked = redactor.mask(text)
    # THEN quoted and embedded occurrences are masked; a short secret is not masked inside words
    assert masked == 'x = "(redacted)"\ny = "prefix-(redacted)-suffix"\nabcdef stays'


def test_lambda_env_values_are_masked_as_whole_tokens_only() -> None:
    # GIVEN an env-var value that is also part of a resource name
    redactor = Redactor(whole_values={"file-processor"})
    text = '"SERVICE" = "file-processor"\nname = "sfp-dev-file-processor"\nsvc: file-processor\n'
    # WHEN masked
    masked = redactor.mask(text)
    # THEN the value is hidden where it stands alone, and the longer name is left readable
    assert masked == '"SERVICE" = "(redacted)"\nname = "sfp-dev-file-processor"\nsvc: (redacted)\n'


def test_multiline_secrets_are_masked_line_by_line() -> None:
    # GIVEN a multi-line secret (a PEM key), which plan text prints as a heredoc, line by line
    key = (
        "-----BEGIN KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC\nkey = value-line-x\n"
        "-----END KEY-----"
    )
    text = (
        "key = <<-EOT\n    -----BEGIN KEY-----\n    MIIEvQIBADANBgkqhkiG9w0BAQEFAASC\n"
        "    key = value-line-x\n  EOT\n"
    )
    # WHEN masked
    masked = Redactor(secrets={key}).mask(text)
    # THEN no line of it survives, not even one that looks like `name = value`
    assert "MIIEvQIBADANBgkqhkiG9w0BAQEFAASC" not in masked
    assert "BEGIN KEY" not in masked
    assert "value-line-x" not in masked


def test_a_secret_that_is_also_a_word_of_addresses_leaves_names_alone() -> None:
    # GIVEN a marked secret that is also a resource name and an attribute name (issue 13's
    # `(redacted)_instance.(redacted)[0]`)
    redactor = Redactor(secrets={"main", "instance"}, whole_values={"processor"})
    text = (
        "  # aws_instance.main[0] will be updated in-place\n"
        '  ~ resource "aws_instance" "main" {\n'
        '      ~ instance = "main" -> "instance-main-2"\n'
        '        processor = "processor"\n'
        "      ~ main {\n"
        "        }\n"
        "    }\n"
    )
    # WHEN masked
    masked = redactor.mask(text)
    # THEN addresses, resource headers and attribute/block names are untouched; values are masked
    assert "# aws_instance.main[0] will be updated in-place" in masked
    assert 'resource "aws_instance" "main" {' in masked
    assert '~ instance = "(redacted)" -> "(redacted)-(redacted)-2"' in masked
    assert 'processor = "(redacted)"' in masked
    assert "~ main {" in masked


def test_longest_secret_wins_across_whole_and_embedded_forms() -> None:
    # GIVEN a substring secret that is a prefix of a longer whole-token value
    redactor = Redactor(secrets={"abcd"}, whole_values={"abcd efgh-value"})
    # WHEN both occur / THEN the longer one is masked whole (no tail left over)
    assert redactor.mask_value("x abcd efgh-value y") == "x (redacted) y"
    assert redactor.mask_value("xabcdy") == "x(redacted)y"


def test_whole_value_glued_to_a_word_does_not_hide_a_later_secret() -> None:
    # GIVEN a whole-token value that fails its boundary check where a secret starts inside it
    redactor = Redactor(secrets={"cdXYZ-secret"}, whole_values={"abcd"})
    # WHEN masked / THEN the secret is still found
    assert redactor.mask_value("xabcdXYZ-secret") == "xab(redacted)"


def test_json_escaped_forms_are_masked() -> None:
    # GIVEN a secret with a quote and a backslash, shown JSON-escaped in plan text
    secret = 'p"a\\ss-word'
    text = 'password = "p\\"a\\\\ss-word"'
    # WHEN masked / THEN the escaped form is gone
    assert Redactor(secrets={secret}).mask(text) == f'password = "{REDACTED}"'


def test_one_compiled_pattern_is_built_once_for_all_secrets(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # GIVEN many secrets
    redactor = Redactor(secrets={f"secret-value-{i:04d}" for i in range(2000)})
    compiled: list[str] = []
    real_compile = re.compile

    def counting_compile(pattern: str, flags: int = 0) -> re.Pattern[str]:
        compiled.append(pattern)
        return real_compile(pattern, flags)

    monkeypatch.setattr(redaction.re, "compile", counting_compile)
    # WHEN several texts are masked
    for index in (1, 999, 1999):
        assert redactor.mask(f"x = secret-value-{index:04d}") == f"x = {REDACTED}"
    # THEN ONE pattern was compiled for all of them (not one per secret, form or call)…
    assert len(compiled) == 1
    # …and one more for bare values, once
    assert redactor.mask_value("secret-value-0001 secret-value-0002") == f"{REDACTED} {REDACTED}"
    assert redactor.mask_value("secret-value-0003") == REDACTED
    assert len(compiled) == 2


def test_failure_logs_mask_diagnostic_values_and_secret_names() -> None:
    # GIVEN a Terraform diagnostic printing a referenced value, and a secret-named assignment
    log = (
        "│     ├────────────────\n"
        '│     │ var.webhook_token is "whk-live-123"\n'
        "│     │ var.count is 3\n"
        "│     │ local.tags is a map of string\n"
        'Error: api_token = "tok-abc" was rejected\n'
    )
    # WHEN masked without any plan
    masked = mask_log(log)
    # THEN the value is hidden, the harmless type descriptions stay
    assert "whk-live-123" not in masked
    assert '│     │ var.webhook_token is "(redacted)"' in masked
    assert "var.count is 3" in masked
    assert "local.tags is a map of string" in masked
    assert "tok-abc" not in masked
