from __future__ import annotations

import json
import os
import sys
import textwrap
from pathlib import Path

import pytest

from tooling.core import paths
from tooling.core.errors import ToolingError
from tooling.tf.runner import TerraformRunner, plugin_cache_lock, terraform_environment

# A stand-in `terraform`: records its argv and Terraform env vars, prints what FAKE_TF_STDOUT /
# FAKE_TF_STDERR say and exits with FAKE_TF_EXIT.
FAKE_TERRAFORM = textwrap.dedent(
    """\
    #!{python}
    import json, os, sys
    with open(os.environ["FAKE_TF_LOG"], "a") as log:
        log.write(json.dumps({{
            "argv": sys.argv[1:],
            "cwd": os.getcwd(),
            "env": {{k: v for k, v in os.environ.items()
                    if k.startswith("TF_") or k in ("EXTRA", "GOGC")}},
        }}) + "\\n")
    sys.stdout.write(os.environ.get("FAKE_TF_STDOUT", ""))
    sys.stderr.write(os.environ.get("FAKE_TF_STDERR", ""))
    sys.exit(int(os.environ.get("FAKE_TF_EXIT", "0")))
    """
)


@pytest.fixture
def fake_terraform(tmp_path, monkeypatch):
    """Put the fake terraform first on PATH; return a reader of the calls it received."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    script = bin_dir / "terraform"
    script.write_text(FAKE_TERRAFORM.format(python=sys.executable))
    script.chmod(0o755)
    log = tmp_path / "calls.jsonl"
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    monkeypatch.delenv("TERRAFORM_BIN", raising=False)
    monkeypatch.setenv("FAKE_TF_LOG", str(log))
    monkeypatch.setattr(paths, "WORK_DIR", tmp_path / "work")

    def calls() -> list[dict]:
        return [json.loads(line) for line in log.read_text().splitlines()] if log.exists() else []

    return calls


@pytest.fixture
def runner(tmp_path, fake_terraform):
    root = tmp_path / "root"
    root.mkdir()
    return TerraformRunner(root, tmp_path / "work" / "dev" / ".terraform", color=False)


def test_saved_plan_apply_passes_only_the_plan_file(runner, fake_terraform, tmp_path):
    # GIVEN a saved plan
    plan = tmp_path / "tfplan"
    plan.write_bytes(b"plan")
    # WHEN it is applied
    runner.apply_saved_plan(plan)
    # THEN terraform gets exactly `apply -input=false -no-color -lock-timeout=… <plan>`: no
    # -var-file, no -var
    (call,) = fake_terraform()
    assert call["argv"] == ["apply", "-input=false", "-no-color", "-lock-timeout=10m", str(plan)]
    assert not [arg for arg in call["argv"] if arg.startswith(("-var", "-auto-approve"))]


def test_apply_without_saved_plan_is_refused(runner, fake_terraform, tmp_path):
    with pytest.raises(ToolingError, match="no saved plan at"):
        runner.apply_saved_plan(tmp_path / "missing")
    assert fake_terraform() == []


def test_plan_passes_variables_as_var_flags_and_saves_the_plan(
    runner, fake_terraform, tmp_path, monkeypatch
):
    # GIVEN the fake reports "changes present" (exit 2 under -detailed-exitcode)
    monkeypatch.setenv("FAKE_TF_EXIT", "2")
    # WHEN a plan is saved with variables
    result = runner.plan(tmp_path / "tfplan", {"package_path": "../d/h.zip", "a": "1"})
    # THEN variables are -var flags in a stable order and the plan goes to -out
    (call,) = fake_terraform()
    assert call["argv"] == [
        "plan",
        "-input=false",
        "-no-color",
        "-lock-timeout=10m",
        "-detailed-exitcode",
        f"-out={tmp_path / 'tfplan'}",
        "-var=a=1",
        "-var=package_path=../d/h.zip",
    ]
    assert result.has_changes is True


def test_commands_run_in_the_root_with_automation_env(runner, fake_terraform, tmp_path):
    # GIVEN the process environment before the call
    before = dict(os.environ)
    # WHEN init runs
    runner.init(backend=False)
    (call,) = fake_terraform()
    # THEN terraform ran in the root dir, non-interactive, with the per-env data dir
    assert call["cwd"] == str(tmp_path / "root")
    assert call["argv"] == ["init", "-input=false", "-no-color", "-reconfigure", "-backend=false"]
    assert call["env"]["TF_IN_AUTOMATION"] == "1"
    assert call["env"]["TF_INPUT"] == "0"
    assert call["env"]["TF_DATA_DIR"] == str(tmp_path / "work" / "dev" / ".terraform")
    # AND the process environment is restored afterwards
    assert dict(os.environ) == before


def test_mirror_goes_into_a_generated_cli_config(tmp_path, fake_terraform):
    # GIVEN a provider mirror
    mirror = tmp_path / "mirror"
    mirror.mkdir()
    root = tmp_path / "root"
    root.mkdir()
    runner = TerraformRunner(
        root, tmp_path / "data", provider_mirror=mirror, extra_env={"EXTRA": "1"}
    )
    runner.init(backend_config=["bucket=b", "key=k"])
    (call,) = fake_terraform()
    # THEN TF_CLI_CONFIG_FILE points at a config under .work with the mirror and a plugin cache
    cli_config = Path(call["env"]["TF_CLI_CONFIG_FILE"])
    assert cli_config.parent == tmp_path / "work"
    assert cli_config.name.startswith("terraform-")
    assert cli_config.suffix == ".tfrc"
    text = cli_config.read_text()
    assert f'path    = "{mirror}"' in text
    assert 'include = ["registry.terraform.io/hashicorp/*"]' in text
    assert 'exclude = ["registry.terraform.io/hashicorp/*"]' in text
    assert f'plugin_cache_dir = "{tmp_path / "work" / "plugin-cache"}"' in text
    assert (tmp_path / "work" / "plugin-cache").is_dir()
    # AND extra env (e.g. the emulator's fake credentials) reaches terraform
    assert call["env"]["EXTRA"] == "1"
    assert call["argv"][-2:] == ["-backend-config=bucket=b", "-backend-config=key=k"]


def test_existing_user_cli_config_is_kept_without_mirror(tmp_path, fake_terraform, monkeypatch):
    user_config = tmp_path / "user.tfrc"
    user_config.write_text('credentials "app.terraform.io" {}\n')
    monkeypatch.setenv("TF_CLI_CONFIG_FILE", str(user_config))
    env = terraform_environment(tmp_path / "data", None)
    assert "TF_CLI_CONFIG_FILE" not in env
    # but a missing one (this machine's leftover) is replaced by ours
    monkeypatch.setenv("TF_CLI_CONFIG_FILE", str(tmp_path / "missing.tfrc"))
    env = terraform_environment(tmp_path / "data", None)
    ours = Path(env["TF_CLI_CONFIG_FILE"])
    assert ours.parent == tmp_path / "work"
    assert "provider_installation" not in ours.read_text()
    # AND a config with a mirror is a different file: concurrent runs cannot clobber each other
    mirror = tmp_path / "mirror"
    mirror.mkdir()
    with_mirror = Path(terraform_environment(tmp_path / "d", mirror)["TF_CLI_CONFIG_FILE"])
    assert with_mirror != ours
    assert "provider_installation" not in ours.read_text()


def test_failure_names_exit_code_command_and_stderr_tail(runner, fake_terraform, monkeypatch):
    # GIVEN terraform fails with a long stderr
    lines = [f"line {n}" for n in range(40)] + ["Error: No valid credential sources found"]
    monkeypatch.setenv("FAKE_TF_STDERR", "\n".join(lines) + "\n")
    monkeypatch.setenv("FAKE_TF_EXIT", "1")
    # WHEN a streamed command runs
    with pytest.raises(ToolingError) as error:
        runner.validate()
    message = str(error.value)
    # THEN the error names the exit code, the exact command and the last stderr lines only
    assert "terraform validate failed with exit code 1" in message
    assert f"command: {runner.binary} validate -no-color" in message
    assert "Error: No valid credential sources found" in message
    assert "line 39" in message
    assert "line 5\n" not in message
    # AND a known failure gets a specific fix
    assert "AWS credentials" in error.value.hint


def test_captured_failure_is_translated_too(runner, monkeypatch):
    monkeypatch.setenv("FAKE_TF_STDERR", "Error: Failed to query available provider packages\n")
    monkeypatch.setenv("FAKE_TF_EXIT", "3")
    with pytest.raises(ToolingError, match="terraform output failed with exit code 3") as error:
        runner.output_json()
    assert "TERRAFORM_PROVIDER_MIRROR" in error.value.hint


def test_streamed_output_is_shown_live(runner, monkeypatch, capfd):
    monkeypatch.setenv("FAKE_TF_STDOUT", "Plan: 1 to add\n")
    monkeypatch.setenv("FAKE_TF_STDERR", "Warning: something\n")
    result = runner.run("plan")
    out, err = capfd.readouterr()
    # THEN the output went to the terminal (not swallowed) and stderr is remembered
    assert "Plan: 1 to add" in out
    assert "Warning: something" in err
    assert result.stderr_tail == ("Warning: something",)


def test_captured_json_is_parsed(runner, monkeypatch):
    monkeypatch.setenv("FAKE_TF_STDOUT", json.dumps({"api_url": {"value": "http://x"}}))
    assert runner.output_json() == {"api_url": {"value": "http://x"}}


def test_terraform_missing_is_a_clear_error(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.delenv("TERRAFORM_BIN", raising=False)
    with pytest.raises(ToolingError, match="terraform was not found on PATH"):
        TerraformRunner(tmp_path, tmp_path / "data")


def test_plan_text_comes_from_the_plans_own_output_without_a_second_show(
    runner, fake_terraform, tmp_path, monkeypatch, capfd
):
    # GIVEN a plan that prints refresh progress, then the plan itself
    monkeypatch.setenv(
        "FAKE_TF_STDOUT",
        "aws_s3_bucket.b: Refreshing state... [id=b]\n"
        "\nPlan: 1 to add, 0 to change, 0 to destroy.\n",
    )
    monkeypatch.setenv("FAKE_TF_EXIT", "2")
    # WHEN the plan is saved
    result = runner.plan(tmp_path / "tfplan", {})
    # THEN the person saw everything live, the text holds only the plan, and no `show` ran
    assert "Refreshing state" in capfd.readouterr().out
    assert result.text == "\nPlan: 1 to add, 0 to change, 0 to destroy.\n"
    assert [call["argv"][0] for call in fake_terraform()] == ["plan"]


def test_apply_does_not_list_the_outputs_a_second_time(runner, tmp_path, monkeypatch, capfd):
    # GIVEN an apply that ends with Terraform's own outputs listing
    monkeypatch.setenv(
        "FAKE_TF_STDOUT",
        'x: Creating...\n\nApply complete! Resources: 1 added.\n\nOutputs:\n\napi_url = "u"\n',
    )
    plan = tmp_path / "tfplan"
    plan.write_bytes(b"plan")
    # WHEN the saved plan is applied
    runner.apply_saved_plan(plan)
    # THEN the progress and the result are shown, the outputs are left to the task
    out = capfd.readouterr().out
    assert "Apply complete! Resources: 1 added." in out
    assert "Outputs:" not in out
    assert "api_url" not in out


def test_colour_codes_never_reach_an_error_message(runner, monkeypatch):
    # GIVEN terraform fails with coloured stderr (as it does on a terminal)
    monkeypatch.setenv(
        "FAKE_TF_STDERR",
        "\x1b[31m╷\x1b[0m\n\x1b[31m│\x1b[0m \x1b[1m\x1b[31mError: \x1b[0m\x1b[0m\x1b[1m"
        "Missing region value\x1b[0m\n",
    )
    monkeypatch.setenv("FAKE_TF_EXIT", "1")
    # WHEN it runs captured or streamed
    for call in (runner.output_json, runner.validate):
        with pytest.raises(ToolingError) as error:
            call()
        # THEN the message and hint carry no escape codes, and the hint is the specific one
        assert "\x1b" not in str(error.value)
        assert "Error: Missing region value" in error.value.message
        assert "backend.hcl" in error.value.hint


@pytest.mark.parametrize(
    ("stderr", "hint_says"),
    [
        ("Error: AWS account ID not allowed: 999999999999", "allowed_account_ids"),
        ('The attribute "bucket" is required by the backend.', "bucket, key and region"),
        ("Error: S3 bucket does not exist.", "state bucket"),
        ("api error ExpiredToken: The security token included in the request is expired", "sso"),
        ("operation error S3: ListObjectsV2, StatusCode: 403, api error AccessDenied", "s3:"),
    ],
)
def test_failures_people_meet_get_a_specific_hint(runner, monkeypatch, stderr, hint_says):
    monkeypatch.setenv("FAKE_TF_STDERR", stderr + "\n")
    monkeypatch.setenv("FAKE_TF_EXIT", "1")
    with pytest.raises(ToolingError) as error:
        runner.init()
    assert hint_says in error.value.hint


def test_go_collects_garbage_less_often_unless_the_user_chose(runner, fake_terraform, monkeypatch):
    # GIVEN no GOGC WHEN terraform runs THEN it (and its provider) get the tooling's setting
    monkeypatch.delenv("GOGC", raising=False)
    runner.validate()
    # GIVEN the user's own GOGC WHEN terraform runs THEN theirs is kept
    monkeypatch.setenv("GOGC", "150")
    runner.validate()
    assert [call["env"]["GOGC"] for call in fake_terraform()] == ["400", "150"]


def test_init_waits_for_the_plugin_cache_lock(runner, fake_terraform, tmp_path):
    import threading
    import time

    # GIVEN another init (here: this test) holds the shared plugin cache
    with plugin_cache_lock(tmp_path / "work"):
        worker = threading.Thread(target=runner.init)
        worker.start()
        # WHEN the runner's init starts meanwhile
        time.sleep(0.5)
        # THEN it has not run terraform yet
        assert fake_terraform() == []
    # AND once the lock is released it does
    worker.join(timeout=30)
    assert [call["argv"][0] for call in fake_terraform()] == ["init"]
