"""Builds the Lambda zip (vendored deps for the Lambda platform + handler sources), reproducibly.

Why each rule exists (see docs/tooling.md and the perf baselines):

* ``pip install --platform manylinux2014_<arch> --only-binary=:all: --python-version … --no-deps``
  picks the wheels Lambda can load without Docker, whatever the build host is; ``--no-deps``
  because ``handler/requirements.txt`` pins every transitive runtime dependency itself.
* No bytecode: ``.pyc`` written by the build interpreter (3.11 here) is dead weight on the 3.12
  runtime and embeds source mtimes, which breaks reproducibility.
* What the runtime provides (boto3, botocore, s3transfer) is refused: a vendored copy would
  shadow the runtime's SDK and multiply the zip size by 20.
* Entries sorted, timestamps fixed to 1980-01-01, modes normalised to 0644/0755 with a unix
  ``create_system`` and a fixed DEFLATE level: same inputs → same sha256 in any folder, so
  Terraform sees no perpetual ``source_code_hash`` diff.
* A rebuild is skipped when a content hash of (sources + requirements + settings + builder
  version) is unchanged; mtimes play no part.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import shutil
import stat
import subprocess
import sys
import tempfile
import zipfile
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from tooling.core import paths
from tooling.core.errors import ToolingError

if TYPE_CHECKING:
    from collections.abc import Iterable, Iterator

# Bump when the builder's output for the same inputs changes (new exclusion, zip layout, …) so
# that an old zip is not wrongly reused.
BUILDER_VERSION = "1"

# Lambda's own python runtime ships these; vendoring them shadows the runtime's copy.
RUNTIME_PROVIDED = frozenset({"boto3", "botocore", "s3transfer"})
ARCH_PLATFORMS = {"arm64": "manylinux2014_aarch64", "x86_64": "manylinux2014_x86_64"}
# What the zip takes from handler/: the Lambda entry module and the domain package, never
# tests, sample events or local caches.
HANDLER_ENTRIES: tuple[str, ...] = ("app.py", "file_processor")
# Bundled assets the handler never serves (Powertools' Swagger UI alone is ~40% of the zip).
# bin/ holds console scripts pip writes for --target installs: nothing on Lambda runs them.
EXCLUDED_DIRS: tuple[str, ...] = (
    "aws_lambda_powertools/event_handler/openapi/swagger_ui",
    "bin",
)
# Bytecode caches anywhere; handler-side tests never ship (vendored packages keep theirs, which
# some import at runtime).
EXCLUDED_DIR_NAMES = frozenset({"__pycache__"})
HANDLER_EXCLUDED_DIR_NAMES = frozenset({"__pycache__", "tests"})
EXCLUDED_SUFFIXES = (".pyc", ".pyo", ".pyi")
# Of a *.dist-info dir only metadata and licence texts ship: importlib.metadata needs METADATA,
# and the licences of what we redistribute must travel with it. RECORD, INSTALLER, WHEEL, … go.
KEPT_DIST_INFO_PREFIXES = ("METADATA", "LICENSE", "LICENCE", "COPYING", "NOTICE", "AUTHORS")
KEPT_DIST_INFO_DIRS = frozenset({"licenses"})

ZIP_DATE_TIME = (1980, 1, 1, 0, 0, 0)
ZIP_COMPRESSLEVEL = 9
FILE_MODE = 0o644
EXEC_MODE = 0o755
UNIX_CREATE_SYSTEM = 3
HASH_CHUNK = 1 << 20


@dataclass(frozen=True)
class BuildSettings:
    """Inputs of a build besides the files: all of them are part of the content hash."""

    architecture: str = "arm64"
    python_version: str = "3.12"
    # Extra pip arguments (e.g. --find-links for an offline wheelhouse); they can change what
    # gets vendored, so they are hashed too.
    pip_args: tuple[str, ...] = ()

    def platform_tag(self) -> str:
        """The manylinux platform tag pip must resolve wheels for."""
        try:
            return ARCH_PLATFORMS[self.architecture]
        except KeyError:
            raise ToolingError(
                f"unknown Lambda architecture {self.architecture!r}",
                hint=f"use one of {', '.join(ARCH_PLATFORMS)}",
            ) from None


@dataclass(frozen=True)
class BuildPaths:
    """Where the build reads from and writes to (the repo's own paths by default)."""

    # Factories read tooling.core.paths at call time: tests can point the repo paths elsewhere.
    handler_dir: Path = field(default_factory=lambda: paths.HANDLER_DIR)
    requirements: Path = field(default_factory=lambda: paths.HANDLER_DIR / "requirements.txt")
    zip_path: Path = field(default_factory=lambda: paths.ZIP_PATH)

    @property
    def sha_path(self) -> Path:
        """The base64 sha256 Terraform's ``source_code_hash`` wants, next to the zip."""
        return self.zip_path.with_name(self.zip_path.name + ".base64sha256")

    @property
    def inputs_path(self) -> Path:
        """The record of what the zip was built from, used to skip unchanged rebuilds."""
        return self.zip_path.with_name(self.zip_path.name + ".inputs.json")


@dataclass(frozen=True)
class BuildResult:
    """What a build produced (or found already built)."""

    zip_path: Path
    size: int
    sha256: str
    base64sha256: str
    fingerprint: str
    skipped: bool
    files: int = 0
    removed: tuple[str, ...] = field(default=())

    def describe(self) -> str:
        """The lines the `build` task prints."""
        state = "unchanged, rebuild skipped" if self.skipped else "built"
        return (
            f"{self.zip_path} ({state})\n"
            f"  size          {self.size:,} bytes\n"
            f"  sha256        {self.sha256}\n"
            f"  base64sha256  {self.base64sha256}"
        )


def build(
    settings: BuildSettings | None = None,
    build_paths: BuildPaths | None = None,
    *,
    force: bool = False,
) -> BuildResult:
    """Build the Lambda zip, or reuse it when its inputs' content hash is unchanged."""
    settings = settings or BuildSettings()
    build_paths = build_paths or BuildPaths()
    settings.platform_tag()  # validate before hashing anything
    sources = handler_sources(build_paths.handler_dir)
    fingerprint = input_fingerprint(sources, build_paths, settings)
    if not force:
        reused = _reuse_if_unchanged(build_paths, fingerprint)
        if reused is not None:
            return reused
    with tempfile.TemporaryDirectory(prefix="sfp-build-") as tmp:
        staging = Path(tmp) / "package"
        staging.mkdir()
        vendor_dependencies(build_paths.requirements, staging, settings)
        refuse_runtime_provided(staging)
        removed = prune(staging)
        for relative, source in sources:
            target = staging / relative
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target)
        build_paths.zip_path.parent.mkdir(parents=True, exist_ok=True)
        partial = build_paths.zip_path.with_name(build_paths.zip_path.name + ".partial")
        files = write_deterministic_zip(staging, partial)
        partial.replace(build_paths.zip_path)
    digest = file_sha256(build_paths.zip_path)
    result = BuildResult(
        zip_path=build_paths.zip_path,
        size=build_paths.zip_path.stat().st_size,
        sha256=digest.hex(),
        base64sha256=base64.b64encode(digest).decode("ascii"),
        fingerprint=fingerprint,
        skipped=False,
        files=files,
        removed=tuple(removed),
    )
    # No trailing newline: Terraform's file() can read it as-is.
    build_paths.sha_path.write_text(result.base64sha256, encoding="ascii")
    record = {"fingerprint": fingerprint, "sha256": result.sha256, "settings": asdict(settings)}
    build_paths.inputs_path.write_text(json.dumps(record, indent=2, sort_keys=True) + "\n")
    return result


def handler_sources(handler_dir: Path) -> list[tuple[str, Path]]:
    """The (zip path, file) pairs taken from the handler dir, sorted, without caches."""
    if not (handler_dir / "app.py").is_file():
        raise ToolingError(
            f"no handler entry module at {handler_dir / 'app.py'}",
            hint="the zip needs handler/app.py (with lambda_handler) at its root",
        )
    pairs: list[tuple[str, Path]] = []
    for entry in HANDLER_ENTRIES:
        path = handler_dir / entry
        if path.is_file():
            pairs.append((entry, path))
        elif path.is_dir():
            pairs.extend(
                (file.relative_to(handler_dir).as_posix(), file)
                for file in _walk_files(path, HANDLER_EXCLUDED_DIR_NAMES)
                if not _is_excluded(file.relative_to(handler_dir).as_posix())
            )
    return sorted(pairs)


def input_fingerprint(
    sources: Iterable[tuple[str, Path]], build_paths: BuildPaths, settings: BuildSettings
) -> str:
    """Content hash of everything that decides the zip's bytes (never mtimes or absolute paths)."""
    digest = hashlib.sha256()

    def feed(label: str, data: bytes) -> None:
        # Length-prefixed so that no two different input sets can hash the same.
        digest.update(f"{label}:{len(data)}:".encode())
        digest.update(data)

    feed("builder", BUILDER_VERSION.encode())
    feed("settings", json.dumps(asdict(settings), sort_keys=True).encode())
    requirements = (
        build_paths.requirements.read_bytes() if build_paths.requirements.is_file() else b""
    )
    feed("requirements", requirements)
    for relative, source in sources:
        feed("path", relative.encode())
        feed("mode", b"x" if _is_executable(source) else b"-")
        feed("content", source.read_bytes())
    return digest.hexdigest()


def vendor_dependencies(requirements: Path, target: Path, settings: BuildSettings) -> None:
    """pip-install the pinned runtime deps for the Lambda platform into ``target`` (no bytecode)."""
    if not requirements.is_file() or not _has_requirements(requirements):
        return
    command = [
        sys.executable,
        "-m",
        "pip",
        "install",
        "--quiet",
        "--disable-pip-version-check",
        "--no-input",
        "--no-deps",
        "--no-compile",
        "--platform",
        settings.platform_tag(),
        "--only-binary=:all:",
        "--python-version",
        settings.python_version,
        "--implementation",
        "cp",
        "--target",
        str(target),
        *settings.pip_args,
        "-r",
        str(requirements),
    ]
    completed = subprocess.run(command, capture_output=True, text=True, check=False)
    if completed.returncode != 0:
        tail = "\n".join(completed.stderr.strip().splitlines()[-15:])
        raise ToolingError(
            f"pip could not vendor {requirements} for {settings.platform_tag()} "
            f"(exit {completed.returncode}):\n{tail}",
            hint=(
                "every requirement needs a wheel for that platform and Python "
                f"{settings.python_version} (pure-python or manylinux2014); pin a version "
                "that publishes one"
            ),
        )


def refuse_runtime_provided(staging: Path) -> None:
    """Fail when a package the Lambda runtime already provides got vendored."""
    found = sorted(
        name
        for name in (_distribution_name(info) for info in staging.glob("*.dist-info"))
        if name in RUNTIME_PROVIDED
    )
    if found:
        raise ToolingError(
            f"the zip would vendor {', '.join(found)}, which the Lambda runtime provides "
            "(a vendored copy shadows the runtime SDK and bloats the zip)",
            hint="remove them from handler/requirements.txt; install them for tests via pyproject",
        )


def prune(staging: Path) -> list[str]:
    """Delete bytecode, unused assets and dist-info clutter; return what went (zip build_paths)."""
    removed: list[str] = []
    for path in sorted(staging.rglob("*"), reverse=True):
        if not path.exists() and not path.is_symlink():
            continue  # inside a dir removed already
        relative = path.relative_to(staging).as_posix()
        if _is_excluded(relative) or _is_dist_info_clutter(relative):
            removed.append(relative)
            if path.is_dir() and not path.is_symlink():
                shutil.rmtree(path)
            else:
                path.unlink()
    # Dirs emptied by the pruning would otherwise linger (harmless, but noise).
    for path in sorted(staging.rglob("*"), reverse=True):
        if path.is_dir() and not any(path.iterdir()):
            path.rmdir()
    return sorted(removed)


def write_deterministic_zip(source_dir: Path, zip_path: Path) -> int:
    """Zip ``source_dir`` so the bytes depend only on relative paths, contents and exec bits."""
    files = sorted(
        (file.relative_to(source_dir).as_posix(), file)
        for file in _walk_files(source_dir, frozenset())
    )
    with zipfile.ZipFile(zip_path, "w") as archive:
        for relative, file in files:
            info = zipfile.ZipInfo(relative, date_time=ZIP_DATE_TIME)
            info.create_system = UNIX_CREATE_SYSTEM
            mode = EXEC_MODE if _is_executable(file) else FILE_MODE
            info.external_attr = (stat.S_IFREG | mode) << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, file.read_bytes(), compresslevel=ZIP_COMPRESSLEVEL)
    return len(files)


def file_sha256(path: Path) -> bytes:
    """Raw sha256 digest of a file, read in chunks."""
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        for chunk in iter(lambda: stream.read(HASH_CHUNK), b""):
            digest.update(chunk)
    return digest.digest()


def read_built_zip(build_paths: BuildPaths | None = None) -> tuple[Path, str]:
    """The built zip and its base64 sha256, or a clear error telling to run `invoke build`."""
    build_paths = build_paths or BuildPaths()
    if not build_paths.zip_path.is_file():
        raise ToolingError(
            f"the Lambda package {build_paths.zip_path} has not been built",
            hint="run `invoke build` first (deploy does it for you)",
        )
    digest = file_sha256(build_paths.zip_path)
    return build_paths.zip_path, base64.b64encode(digest).decode("ascii")


def _reuse_if_unchanged(build_paths: BuildPaths, fingerprint: str) -> BuildResult | None:
    """The existing zip when it was built from exactly these inputs and is intact."""
    if not (build_paths.zip_path.is_file() and build_paths.inputs_path.is_file()):
        return None
    try:
        record = json.loads(build_paths.inputs_path.read_text())
    except (OSError, ValueError):
        return None
    if record.get("fingerprint") != fingerprint:
        return None
    digest = file_sha256(build_paths.zip_path)
    if digest.hex() != record.get("sha256"):
        return None  # the zip was modified or replaced after the build
    base64sha256 = base64.b64encode(digest).decode("ascii")
    if (
        not build_paths.sha_path.is_file()
        or build_paths.sha_path.read_text().strip() != base64sha256
    ):
        build_paths.sha_path.write_text(base64sha256, encoding="ascii")
    return BuildResult(
        zip_path=build_paths.zip_path,
        size=build_paths.zip_path.stat().st_size,
        sha256=digest.hex(),
        base64sha256=base64sha256,
        fingerprint=fingerprint,
        skipped=True,
    )


def _walk_files(root: Path, skipped_dirs: frozenset[str]) -> Iterator[Path]:
    """Regular files under ``root`` outside ``skipped_dirs`` (symlinked dirs are not followed)."""
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = [name for name in dirnames if name not in skipped_dirs]
        for name in filenames:
            path = Path(dirpath) / name
            if path.is_file():
                yield path


def _is_excluded(relative: str) -> bool:
    """Bytecode, caches, tests, console scripts and assets the handler never serves."""
    parts = relative.split("/")
    if any(part in EXCLUDED_DIR_NAMES for part in parts):
        return True
    if relative.endswith(EXCLUDED_SUFFIXES):
        return True
    return any(relative == d or relative.startswith(d + "/") for d in EXCLUDED_DIRS)


def _is_dist_info_clutter(relative: str) -> bool:
    """Files inside ``*.dist-info`` other than metadata and licence texts."""
    parts = relative.split("/")
    if len(parts) < 2 or not parts[0].endswith(".dist-info"):
        return False
    if parts[1] in KEPT_DIST_INFO_DIRS:
        return False
    return not parts[1].upper().startswith(KEPT_DIST_INFO_PREFIXES)


def _distribution_name(dist_info: Path) -> str:
    """Normalised project name of a ``*.dist-info`` dir (``Foo_Bar-1.0.dist-info`` → foo-bar)."""
    name = dist_info.name.removesuffix(".dist-info").rsplit("-", 1)[0]
    return name.lower().replace("_", "-").replace(".", "-")


def _has_requirements(requirements: Path) -> bool:
    """True when the file names at least one requirement (not only comments/blank lines)."""
    lines = requirements.read_text().splitlines()
    return any(line.split("#", 1)[0].strip() for line in lines)


def _is_executable(path: Path) -> bool:
    """Whether the owner may execute the file: the only permission bit the zip keeps."""
    return bool(path.stat().st_mode & stat.S_IXUSR)
