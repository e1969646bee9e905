"""Reading Terraform's HCL: the one place the tooling parses a ``terraform.tfvars`` (or a
``backend.hcl``) and the blocks of a root's ``*.tf`` files.

The emulator setup reads an env's region and account from it, the deploy preflight its backend
settings, the canary its expected log retention; all of them ask here, so a quirk of the parser
is handled once.

The parser is the ``hcl2`` module that checkov ships (bc-python-hcl2, see pyproject.toml). It
wraps every attribute value in a one-element list and may keep the quotes of a string; values
come back here as plain Python (``str``, ``int``, ``float``, ``bool``, ``None``, ``list``,
``dict``). Expressions (``"${var.x}"``) are returned as the parser gives them: a values file
holds literals, and a caller that needs a literal checks the type it gets.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import hcl2

from tooling.core import paths
from tooling.core.errors import ToolingError

if TYPE_CHECKING:
    from pathlib import Path

TFVARS_NAME = "terraform.tfvars"
# Keys python-hcl2 adds to blocks (source line numbers); never part of a value.
_META_KEYS = frozenset({"__start_line__", "__end_line__"})


def read_tfvars(path: Path) -> dict[str, Any]:
    """Every value of one ``.tfvars`` file as plain Python; ``{}`` when the file does not exist.

    A file that does not parse is a ToolingError naming it (Terraform would refuse it too).
    """
    if not path.is_file():
        return {}
    parsed = read_hcl(path)
    return {
        name: attribute_value(value) for name, value in parsed.items() if name not in _META_KEYS
    }


def read_blocks(root: Path, kind: str) -> list[dict[str, Any]]:
    """Every top-level block of one kind (``provider``, ``terraform``, …) in ``root``'s ``*.tf``
    files, as python-hcl2 returns them (attribute values still wrapped: see
    :func:`attribute_value`)."""
    found: list[dict[str, Any]] = []
    for path in sorted(root.glob("*.tf")):
        found.extend(read_hcl(path).get(kind, []))
    return found


def env_tfvars(env_name: str, envs_dir: Path | None = None) -> dict[str, Any]:
    """The values of ``terraform/envs/<env>/terraform.tfvars`` (``{}`` when there is none).

    ``env_name`` is not validated here (core.envs validates names and imports this module).
    """
    return read_tfvars((envs_dir or paths.ENVS_DIR) / env_name / TFVARS_NAME)


def attribute_value(value: Any) -> Any:
    """An attribute as python-hcl2 returns it (wrapped in a one-element list) → plain Python."""
    if isinstance(value, list) and len(value) == 1:
        value = value[0]
    return plain(value)


def plain(value: Any) -> Any:
    """A nested value as python-hcl2 returns it → plain Python (string quotes dropped)."""
    if isinstance(value, list):
        return [plain(item) for item in value]
    if isinstance(value, dict):
        return {
            unquote(str(key)): plain(item) for key, item in value.items() if key not in _META_KEYS
        }
    if isinstance(value, str):
        return unquote(value)
    return value


def read_hcl(path: Path) -> dict[str, Any]:
    """One HCL file as python-hcl2 returns it (blocks and wrapped attribute values)."""
    try:
        with path.open(encoding="utf-8") as handle:
            return hcl2.load(handle)
    except Exception as error:  # the parser raises lark's many error types
        first_line = str(error).splitlines()[0] if str(error) else repr(error)
        raise ToolingError(
            f"{path} is not valid HCL: {first_line}",
            hint="fix the file (`terraform fmt` or `terraform validate` shows where), then run "
            "the task again",
        ) from error


def unquote(value: str) -> str:
    """python-hcl2 keeps the quotes of some strings (block labels, map keys); drop them."""
    return value[1:-1] if len(value) >= 2 and value[0] == value[-1] == '"' else value
