"""Where things live: the one source of the repository's paths.

Every other module asks here instead of computing a path from ``__file__`` itself.
"""

from __future__ import annotations

from pathlib import Path

REPO_ROOT: Path = Path(__file__).resolve().parents[2]
DIST_DIR: Path = REPO_ROOT / "dist"
ZIP_PATH: Path = DIST_DIR / "handler.zip"
ZIP_SHA_PATH: Path = DIST_DIR / "handler.zip.base64sha256"
HANDLER_DIR: Path = REPO_ROOT / "handler"
TERRAFORM_DIR: Path = REPO_ROOT / "terraform"
ENVS_DIR: Path = TERRAFORM_DIR / "envs"
MODULES_DIR: Path = TERRAFORM_DIR / "modules"
# Git-ignored per-env work dirs: saved plans, their JSON/text, TF_DATA_DIR, the plugin cache.
WORK_DIR: Path = REPO_ROOT / ".work"
# Git-ignored home of the embedded AWS emulator: pid file, log, instance marker.
EMULATOR_DIR: Path = REPO_ROOT / ".emulator"
WORKFLOWS_DIR: Path = REPO_ROOT / ".github" / "workflows"
NODE_MODULES_DIR: Path = REPO_ROOT / "node_modules"
