"""Module READMEs generated from the HCL, between markers, and checked by `check`."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from tooling.checks import module_docs
from tooling.core.errors import ToolingError

if TYPE_CHECKING:
    from pathlib import Path

VERSIONS = """
terraform {
  required_version = ">= 1.9"

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = ">= 5.100"
    }
  }
}
"""

VARIABLES = """
variable "name" {
  description = "Name of the <thing>, e.g. \\"sfp\\"."
  type        = string
}

variable "sizing" {
  description = "Sizing | limits."
  type = object({
    memory = optional(number, 512) # MB
    rules  = optional(list(string), ["a"])
  })
  default = {}

  validation {
    condition     = var.sizing.memory >= 128
    error_message = "memory must be >= 128."
  }
}

variable "principals" {
  description = "Services allowed."
  type        = list(string)
  default     = ["sns.amazonaws.com", "logs.amazonaws.com"]
}

variable "token" {
  description = "A secret."
  type        = string
  default     = null
  sensitive   = true
}
"""

MAIN = """
data "aws_region" "current" {}

resource "aws_sns_topic" "this" {
  name = var.name
}

module "inner" {
  source = "../inner"
}

output "topic_arn" {
  description = "ARN of the topic."
  value       = aws_sns_topic.this.arn
}

output "token" {
  description = "The secret again."
  value       = var.token
  sensitive   = true
}
"""

README = """# demo

Hand-written prose that must stay.

## Inputs

| Name | Description |
|---|---|
| `name` | an old, drifted row |

## Outputs

`topic_arn`.

## Example

```hcl
module "demo" {}
```
"""


@pytest.fixture
def modules(tmp_path: Path) -> Path:
    module = tmp_path / "modules" / "demo"
    module.mkdir(parents=True)
    (module / "versions.tf").write_text(VERSIONS)
    (module / "variables.tf").write_text(VARIABLES)
    (module / "main.tf").write_text(MAIN)
    (module / "README.md").write_text(README)
    return tmp_path / "modules"


def test_the_generated_block_replaces_the_hand_written_tables_and_keeps_the_prose(modules):
    # WHEN the READMEs are generated
    assert module_docs.write_all(modules) == [modules / "demo" / "README.md"]
    text = (modules / "demo" / "README.md").read_text()
    # THEN the prose and the example stay, around one generated block where the tables were
    assert text.startswith("# demo\n\nHand-written prose that must stay.\n\n<!-- BEGIN_TF_DOCS -->")
    assert text.index("<!-- END_TF_DOCS -->") < text.index("## Example")
    assert "an old, drifted row" not in text
    assert text.count("## Inputs") == 1
    # AND a second run changes nothing
    assert module_docs.write_all(modules) == []


def test_inputs_outputs_and_resources_are_documented_like_terraform_docs(modules):
    module_docs.write_all(modules)
    text = (modules / "demo" / "README.md").read_text()
    rows = {line.split(" | ")[0]: line for line in text.splitlines() if line.startswith("| ")}
    # THEN every input has its description, type as written, default (JSON) and requiredness
    assert rows["| `name`"] == (
        '| `name` | Name of the &lt;thing&gt;, e.g. "sfp". | `string` | n/a | yes |'
    )
    assert rows["| `sizing`"] == (
        "| `sizing` | Sizing \\| limits. | <pre>object({<br>  memory = optional(number, 512)<br>"
        '  rules  = optional(list(string), ["a"])<br>})</pre> | `{}` | no |'
    )
    assert rows["| `principals`"].endswith(
        '| <pre>[<br>  "sns.amazonaws.com",<br>  "logs.amazonaws.com"<br>]</pre> | no |'
    )
    assert "| `token` | A secret. | `string` | `null` | no |" in text
    # AND outputs, with sensitivity; requirements, providers, resources and module calls
    assert "| `topic_arn` | ARN of the topic. | no |" in text
    assert "| `token` | The secret again. | yes |" in text
    assert "| terraform | `>= 1.9` |" in text
    assert "| aws | `hashicorp/aws` |" in text
    assert (
        "| [aws_sns_topic.this](https://registry.terraform.io/providers/hashicorp/aws/latest/"
        "docs/resources/sns_topic) | resource |"
    ) in text
    assert "docs/data-sources/region) | data source |" in text
    assert "| inner | `../inner` |" in text


def test_check_fails_while_a_readme_is_out_of_date(modules):
    # GIVEN generated READMEs
    module_docs.write_all(modules)
    module_docs.check(modules)
    # WHEN a variable's description changes in the HCL
    variables = modules / "demo" / "variables.tf"
    variables.write_text(variables.read_text().replace("Services allowed.", "Who may use it."))
    # THEN the check names the README and says how to regenerate it
    with pytest.raises(ToolingError, match="1 module README") as error:
        module_docs.check(modules)
    assert "demo/README.md" in error.value.message
    assert "invoke docs" in error.value.hint
    # AND prose edits outside the markers never make it stale
    module_docs.write_all(modules)
    readme = modules / "demo" / "README.md"
    readme.write_text(readme.read_text() + "\nMore prose.\n")
    module_docs.check(modules)


def test_a_module_without_a_readme_gets_one(modules):
    (modules / "demo" / "README.md").unlink()
    module_docs.write_all(modules)
    text = (modules / "demo" / "README.md").read_text()
    assert text.startswith("# demo\n\n<!-- BEGIN_TF_DOCS -->\n## Requirements")
