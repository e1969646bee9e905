"""The saved-plan contract: a plan is applied only while everything it was made from is unchanged.

``plan`` records a fingerprint of its inputs next to the plan file (``tfplan.meta.json``);
``apply`` refuses a missing plan, or one whose zip, Terraform sources, target or plan file
changed since. Terraform itself refuses a plan whose state has moved on ("Saved plan is stale").
"""

from __future__ import annotations

import hashlib
import json
from typing import TYPE_CHECKING

from tooling.build import package
from tooling.core import paths
from tooling.core.errors import ToolingError

if TYPE_CHECKING:
    from pathlib import Path

    from tooling.deploy.target import Target


# Files whose content decides what a plan does; a change after `plan` makes the plan stale.
TERRAFORM_SOURCE_SUFFIXES = (".tf", ".tfvars", ".hcl", ".tf.json")


def check_saved_plan(target: Target) -> None:
    """Refuse a missing plan, or one whose inputs changed since it was made."""
    if not target.plan_file.is_file() or not target.meta_file.is_file():
        raise ToolingError(
            f"no saved plan for {target.label} (looked for {target.plan_file})",
            hint=f"run `invoke plan --env={target.env}` and review it; apply never plans itself",
        )
    recorded = json.loads(target.meta_file.read_text())
    current = plan_inputs(target)
    reasons = [
        STALE_REASONS[key]
        for key in STALE_REASONS
        if recorded.get("inputs", {}).get(key) != current.get(key)
    ]
    if reasons:
        raise ToolingError(
            f"the saved plan for {target.label} is stale: " + "; ".join(reasons),
            hint=f"run `invoke plan --env={target.env}` again, review it, then apply",
        )


STALE_REASONS: dict[str, str] = {
    "target": "it was made for another target (emulated vs real, or another root)",
    "package": "the Lambda zip changed since the plan (rebuilt, or missing)",
    "terraform": "the Terraform sources changed since the plan",
    "plan_file": "the plan file was modified after it was written",
}


def plan_inputs(target: Target) -> dict[str, str]:
    """Fingerprints of everything a saved plan depends on, one per kind of input.

    ``target`` covers the root and the target's own variables (e.g. the emulator endpoint, which
    changes when the emulator restarts); ``package`` the zip behind package_path/_base64sha256.
    """
    zip_path = paths.ZIP_PATH
    zip_digest = package.file_sha256(zip_path).hex() if zip_path.is_file() else "missing"
    plan_file = (
        package.file_sha256(target.plan_file).hex() if target.plan_file.is_file() else "missing"
    )
    return {
        "target": digest(
            json.dumps(
                [target.env, target.emulated, _repo_relative(target.root_dir), target.variables],
                sort_keys=True,
            ).encode()
        ),
        "package": zip_digest,
        "terraform": terraform_sources_digest([target.root_dir, paths.MODULES_DIR]),
        "plan_file": plan_file,
    }


def terraform_sources_digest(dirs: list[Path]) -> str:
    """Hash of the Terraform files under ``dirs`` (not .terraform/, state or module tests)."""
    digest = hashlib.sha256()
    for base in dirs:
        if not base.is_dir():
            continue
        for path in sorted(base.rglob("*")):
            relative = path.relative_to(base)
            if (
                not path.is_file()
                or not path.name.endswith(TERRAFORM_SOURCE_SUFFIXES)
                or any(part in {".terraform", "tests"} for part in relative.parts)
            ):
                continue
            digest.update(f"{base.name}/{relative.as_posix()}\0".encode())
            digest.update(hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()


def discard_plan(target: Target) -> None:
    for path in (target.plan_file, target.meta_file, target.plan_json, target.plan_text):
        path.unlink(missing_ok=True)


def _repo_relative(path: Path) -> str:
    """``path`` relative to the repo root when inside it: a plan saved by one CI job stays valid
    in the job that applies it, even if that job's checkout lives at another absolute path."""
    try:
        return path.resolve().relative_to(paths.REPO_ROOT.resolve()).as_posix()
    except ValueError:
        return str(path.resolve())


def digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()
