"""The plan text taken from `terraform plan`'s own output is what `terraform show -no-color`
prints, on real plans of every kind (real Terraform, provider-free roots: no AWS, no mirror)."""

from __future__ import annotations

import shutil
from typing import TYPE_CHECKING

import pytest

from tooling.core import paths
from tooling.tf.runner import TerraformRunner, plan_text_from_output

if TYPE_CHECKING:
    from pathlib import Path

ROOT_TF = """
variable "size" {
  type = number
}

variable "generation" {
  type = string
}

variable "note" {
  type = string
}

resource "terraform_data" "function" {
  input = { size = var.size }
}

resource "terraform_data" "bucket" {
  triggers_replace = [var.generation]
}

check "size_is_sane" {
  assert {
    condition     = var.size < 1000
    error_message = "size ${var.size} is out of range"
  }
}

output "function_size" {
  value = terraform_data.function.output.size
}

output "note" {
  value = var.note
}
"""

pytestmark = pytest.mark.skipif(not shutil.which("terraform"), reason="terraform is not on PATH")


@pytest.fixture(params=[False, True], ids=["plain", "coloured"])
def root(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, request: pytest.FixtureRequest
) -> TerraformRunner:
    monkeypatch.setattr(paths, "WORK_DIR", tmp_path / ".work")
    directory = tmp_path / "root"
    directory.mkdir()
    (directory / "main.tf").write_text(ROOT_TF)
    # A person at a terminal gets a coloured plan; the text must come out the same.
    runner = TerraformRunner(directory, tmp_path / ".work" / ".terraform", color=request.param)
    runner.init(backend=False)
    return runner


def _plan_and_compare(runner: TerraformRunner, plan_file: Path, **kwargs: object) -> str:
    variables = {"size": "1", "generation": "a", "note": "n"}
    variables.update({key: str(value) for key, value in kwargs.items() if key != "destroy"})
    result = runner.plan(plan_file, variables, destroy=bool(kwargs.get("destroy", False)))
    # THEN the text from the plan's own output is exactly what `show -no-color` prints
    assert result.text == runner.show_text(plan_file)
    return result.text


def test_plan_text_matches_show_for_every_kind_of_plan(root: TerraformRunner, tmp_path: Path):
    plan = tmp_path / "tfplan"
    # GIVEN an empty state WHEN everything is created
    text = _plan_and_compare(root, plan)
    assert "2 to add" in text
    root.apply_saved_plan(plan)
    # WHEN nothing changed
    assert "No changes" in _plan_and_compare(root, plan)
    # WHEN an attribute changes in place, and a resource is replaced
    assert "1 to add, 1 to change, 1 to destroy" in _plan_and_compare(
        root, plan, size=2, generation="b"
    )
    # WHEN only an output changes
    assert "Changes to Outputs" in _plan_and_compare(root, plan, note="other")
    # WHEN a check block fails (a warning box in the plan's output, not in show's)
    assert "out of range" not in _plan_and_compare(root, plan, size=5000)
    # WHEN the env is destroyed
    assert "2 to destroy" in _plan_and_compare(root, plan, destroy=True)


def test_progress_lines_colour_codes_and_the_saved_plan_note_are_dropped():
    # GIVEN a coloured plan output with refresh progress, a warning and the closing note
    output = (
        "module.a.aws_s3_bucket.b: Refreshing state... [id=b]\n"
        "data.aws_region.current: Reading...\n"
        "data.aws_region.current: Read complete after 0s [id=us-east-1]\n"
        "\n"
        "\x1b[1mNo changes.\x1b[0m Your infrastructure matches the configuration.\n"
        "\n"
        "╷\n│ Warning: something\n│ \n│ detail\n╵\n"
        "\n" + "─" * 77 + "\n\nSaved the plan to: tfplan\n"
    )
    # WHEN turned into the plan text THEN only the plan's own rendering is left
    assert plan_text_from_output(output) == (
        "\nNo changes. Your infrastructure matches the configuration.\n"
    )
