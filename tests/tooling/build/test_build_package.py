from __future__ import annotations

import base64
import hashlib
import os
import stat
import zipfile
from typing import TYPE_CHECKING

import pytest

from tooling.build import package
from tooling.build.package import BuildPaths, BuildSettings
from tooling.core.errors import ToolingError

if TYPE_CHECKING:
    from pathlib import Path

POWERTOOLS_ONLY = "aws_lambda_powertools==3.0.0\n"


def settings_for(wheelhouse: Path, architecture: str = "arm64") -> BuildSettings:
    # --no-index + --find-links: the builds vendor from the local wheelhouse, offline and fast.
    return BuildSettings(
        architecture=architecture,
        pip_args=("--no-index", "--find-links", str(wheelhouse)),
    )


def paths_for(handler: Path, dist: Path) -> BuildPaths:
    return BuildPaths(
        handler_dir=handler,
        requirements=handler / "requirements.txt",
        zip_path=dist / "handler.zip",
    )


@pytest.fixture(autouse=True)
def only_the_local_wheelhouse(monkeypatch):
    # A machine-wide PIP_FIND_LINKS (this machine kind has one) must not add other wheels.
    monkeypatch.delenv("PIP_FIND_LINKS", raising=False)


@pytest.fixture
def project(tmp_path, wheelhouse, make_handler):
    handler = make_handler(tmp_path / "one", POWERTOOLS_ONLY)
    return paths_for(handler, tmp_path / "one" / "dist"), settings_for(wheelhouse)


def test_two_build_folders_give_the_same_sha256(tmp_path, wheelhouse, make_handler):
    # GIVEN the same sources and requirements in two different folders
    first = make_handler(tmp_path / "a" / "deep" / "checkout", POWERTOOLS_ONLY)
    second = make_handler(tmp_path / "b", POWERTOOLS_ONLY)
    settings = settings_for(wheelhouse)
    # WHEN each is built
    built_first = package.build(settings, paths_for(first, tmp_path / "a" / "dist"))
    built_second = package.build(settings, paths_for(second, tmp_path / "b" / "dist"))
    # THEN the zips are byte-identical
    assert built_first.sha256 == built_second.sha256
    assert (tmp_path / "a/dist/handler.zip").read_bytes() == (
        tmp_path / "b/dist/handler.zip"
    ).read_bytes()
    assert built_first.fingerprint == built_second.fingerprint


def test_touched_mtimes_do_not_change_the_zip(project):
    paths, settings = project
    # GIVEN a built zip
    before = package.build(settings, paths)
    # WHEN every source file gets a new mtime and the zip is rebuilt from scratch
    for file in paths.handler_dir.rglob("*"):
        os.utime(file, (1_900_000_000, 1_900_000_000))
    after = package.build(settings, paths, force=True)
    # THEN the bytes are the same
    assert after.skipped is False
    assert after.sha256 == before.sha256


def test_zip_holds_handler_and_deps_without_clutter(project):
    paths, settings = project
    # WHEN the zip is built
    result = package.build(settings, paths)
    names = zipfile.ZipFile(result.zip_path).namelist()
    # THEN the handler sits at the root with its domain package and the vendored dependency
    assert "app.py" in names
    assert "file_processor/core.py" in names
    assert "aws_lambda_powertools/logging.py" in names
    # AND licence + metadata stay, but bytecode, stubs, assets, tests, events and RECORD go
    assert "aws_lambda_powertools-3.0.0.dist-info/METADATA" in names
    assert "aws_lambda_powertools-3.0.0.dist-info/LICENSE" in names
    assert not [n for n in names if "__pycache__" in n or n.endswith((".pyc", ".pyi"))]
    assert not [n for n in names if "swagger_ui" in n]
    assert not [n for n in names if n.startswith(("events/", "file_processor/tests"))]
    assert not [n for n in names if n.endswith(("RECORD", "WHEEL", "INSTALLER", "top_level.txt"))]
    assert "requirements.txt" not in names
    # AND the entries are sorted
    assert names == sorted(names)


def test_zip_entries_have_fixed_times_and_normalised_modes(project):
    paths, settings = project
    # GIVEN a source file with an unusual mode (0775) and plain files (0644 or umask-dependent)
    result = package.build(settings, paths)
    # WHEN the entries are inspected
    infos = {info.filename: info for info in zipfile.ZipFile(result.zip_path).infolist()}
    # THEN every entry is dated 1980-01-01, unix-made, deflated, and 0644 or 0755 only
    assert {info.date_time for info in infos.values()} == {(1980, 1, 1, 0, 0, 0)}
    assert {info.create_system for info in infos.values()} == {3}
    assert {info.compress_type for info in infos.values()} == {zipfile.ZIP_DEFLATED}
    assert stat.S_IMODE(infos["file_processor/tool.sh"].external_attr >> 16) == 0o755
    assert stat.S_IMODE(infos["app.py"].external_attr >> 16) == 0o644


def test_outputs_the_base64_sha256_terraform_needs(project):
    paths, settings = project
    result = package.build(settings, paths)
    # THEN the sidecar holds base64(sha256(zip)), the value source_code_hash compares against
    expected = base64.b64encode(hashlib.sha256(result.zip_path.read_bytes()).digest()).decode()
    assert paths.sha_path.read_text() == expected == result.base64sha256
    assert result.size == result.zip_path.stat().st_size
    assert str(result.zip_path) in result.describe()
    assert result.sha256 in result.describe()


def test_unchanged_inputs_skip_the_rebuild(project):
    paths, settings = project
    # GIVEN a build
    first = package.build(settings, paths)
    stamp = paths.zip_path.stat().st_mtime_ns
    # WHEN building again after only touching the sources
    for file in paths.handler_dir.rglob("*.py"):
        os.utime(file, (1_900_000_000, 1_900_000_000))
    second = package.build(settings, paths)
    # THEN nothing is rebuilt and the same zip is reported
    assert second.skipped is True
    assert second.sha256 == first.sha256
    assert paths.zip_path.stat().st_mtime_ns == stamp


@pytest.mark.parametrize(
    "change",
    ["source", "requirements", "architecture", "new_file", "zip_tampered"],
)
def test_any_real_input_change_rebuilds(project, wheelhouse, change):
    paths, settings = project
    # GIVEN a build
    first = package.build(settings, paths)
    # WHEN one input really changes
    if change == "source":
        (paths.handler_dir / "file_processor" / "core.py").write_text("X = 1\n")
    elif change == "requirements":
        paths.requirements.write_text(POWERTOOLS_ONLY + "# pinned again\n")
    elif change == "architecture":
        settings = settings_for(wheelhouse, architecture="x86_64")
    elif change == "new_file":
        (paths.handler_dir / "file_processor" / "extra.py").write_text("Y = 2\n")
    else:
        paths.zip_path.write_bytes(b"not the zip we built")
    second = package.build(settings, paths)
    # THEN the zip is rebuilt
    assert second.skipped is False
    assert second.fingerprint != first.fingerprint or change == "zip_tampered"


def test_cache_only_changes_do_not_rebuild(project):
    paths, settings = project
    package.build(settings, paths)
    # WHEN only bytecode caches and handler tests change
    (paths.handler_dir / "file_processor" / "__pycache__" / "new.pyc").write_bytes(b"x")
    (paths.handler_dir / "file_processor" / "tests" / "test_more.py").write_text("pass\n")
    # THEN the build is skipped
    assert package.build(settings, paths).skipped is True


def test_runtime_provided_packages_are_refused(tmp_path, wheelhouse, make_handler):
    # GIVEN requirements that pin boto3, which the Lambda runtime ships
    handler = make_handler(tmp_path, POWERTOOLS_ONLY + "boto3==1.35.0\n")
    # WHEN building THEN the build fails naming the package and the fix
    with pytest.raises(ToolingError, match="boto3, which the Lambda runtime provides") as error:
        package.build(settings_for(wheelhouse), paths_for(handler, tmp_path / "dist"))
    assert "handler/requirements.txt" in error.value.hint
    assert not (tmp_path / "dist" / "handler.zip").exists()


def test_unavailable_wheel_fails_with_pip_output(tmp_path, wheelhouse, make_handler):
    handler = make_handler(tmp_path, "does-not-exist==9.9\n")
    with pytest.raises(ToolingError, match="pip could not vendor") as error:
        package.build(settings_for(wheelhouse), paths_for(handler, tmp_path / "dist"))
    assert "does-not-exist" in str(error.value)


def test_empty_requirements_builds_sources_only(tmp_path, wheelhouse, make_handler):
    handler = make_handler(tmp_path, "# nothing vendored yet\n")
    result = package.build(settings_for(wheelhouse), paths_for(handler, tmp_path / "dist"))
    names = zipfile.ZipFile(result.zip_path).namelist()
    assert names == [
        "app.py",
        "file_processor/__init__.py",
        "file_processor/core.py",
        "file_processor/tool.sh",
    ]


def test_missing_handler_is_a_clear_error(tmp_path, wheelhouse):
    with pytest.raises(ToolingError, match=r"no handler entry module at .*app\.py"):
        package.build(settings_for(wheelhouse), paths_for(tmp_path / "nope", tmp_path / "d"))


def test_unknown_architecture_is_a_clear_error(project):
    paths, _ = project
    with pytest.raises(ToolingError, match="unknown Lambda architecture 'sparc'") as error:
        package.build(BuildSettings(architecture="sparc"), paths)
    assert "arm64" in error.value.hint


def test_missing_zip_error_says_run_build(tmp_path):
    # GIVEN no zip WHEN the deploy side asks for it THEN the error says to run the build
    paths = BuildPaths(zip_path=tmp_path / "dist" / "handler.zip")
    with pytest.raises(ToolingError, match="has not been built") as error:
        package.read_built_zip(paths)
    assert "invoke build" in error.value.hint


def test_read_built_zip_returns_terraform_hash(project):
    paths, settings = project
    result = package.build(settings, paths)
    assert package.read_built_zip(paths) == (paths.zip_path, result.base64sha256)
