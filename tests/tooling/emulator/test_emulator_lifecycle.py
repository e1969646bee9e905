"""The emulator lifecycle against a real moto server on a free port with its own dirs."""

from __future__ import annotations

import json
import socket
import urllib.request
from typing import TYPE_CHECKING, Any

import boto3
import pytest

from tooling.core.errors import ToolingError
from tooling.emulator import lifecycle

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path


def _s3(endpoint: str) -> Any:
    return boto3.client(
        "s3",
        endpoint_url=endpoint,
        region_name="us-east-1",
        aws_access_key_id="test",
        aws_secret_access_key="test",
    )


@pytest.fixture
def moto(tmp_path: Path) -> Iterator[lifecycle.Emulator]:
    """An emulator definition on a free port, stopped again whatever the test does."""
    chosen = lifecycle.Emulator(port=lifecycle.free_port(), state_dir=tmp_path / "emulator")
    yield chosen
    lifecycle.stop(chosen)


@pytest.fixture
def running(moto: lifecycle.Emulator) -> lifecycle.Emulator:
    """A started emulator of the test's own: for tests that stop, restart or wipe it."""
    lifecycle.start(moto)
    return moto


@pytest.fixture(scope="module")
def shared(tmp_path_factory: pytest.TempPathFactory) -> Iterator[lifecycle.Emulator]:
    """One started emulator for the tests that only use it (each start costs ~2 s of CPU)."""
    chosen = lifecycle.Emulator(
        port=lifecycle.free_port(), state_dir=tmp_path_factory.mktemp("shared-emulator")
    )
    lifecycle.start(chosen)
    yield chosen
    lifecycle.stop(chosen)


def test_start_runs_a_healthy_server_and_records_it(moto: lifecycle.Emulator) -> None:
    # GIVEN no emulator on the port
    assert not lifecycle.status(moto).running
    # WHEN it is started
    started = lifecycle.start(moto)
    # THEN it answers AWS calls at its endpoint, and the pid file names it
    assert started.running
    assert started.endpoint == f"http://127.0.0.1:{moto.port}"
    s3 = _s3(started.endpoint)
    s3.create_bucket(Bucket="probe")
    assert [b["Name"] for b in s3.list_buckets()["Buckets"]] == ["probe"]
    record = json.loads(moto.pid_file.read_text())
    assert record == {"pid": started.pid, "port": moto.port, "instance_id": started.instance_id}
    assert lifecycle.status(moto) == started


def test_start_twice_reuses_the_running_server(shared: lifecycle.Emulator) -> None:
    # GIVEN a shared emulator
    first = lifecycle.status(shared)
    # WHEN start is called again (what ensure_running does on every deploy)
    endpoint = lifecycle.ensure_running(shared)
    # THEN the same process keeps serving, with the same instance id
    assert endpoint == shared.endpoint
    assert lifecycle.status(shared).pid == first.pid
    assert lifecycle.instance_id(shared) == first.instance_id


def test_stop_ends_the_server_and_status_says_so(running: lifecycle.Emulator) -> None:
    # GIVEN a running emulator
    pid = lifecycle.status(running).pid
    assert pid is not None
    # WHEN it is stopped
    stopped = lifecycle.stop(running)
    # THEN the process is gone, the pid file removed, and a second stop is a no-op
    assert stopped is True
    assert not lifecycle.status(running).running
    assert not running.pid_file.exists()
    assert lifecycle.stop(running) is False


def test_port_taken_by_something_else_is_a_clear_error(moto: lifecycle.Emulator) -> None:
    # GIVEN a plain TCP listener (not moto) on the emulator's port
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as squatter:
        squatter.bind((moto.host, moto.port))
        squatter.listen()
        # WHEN the emulator is started
        with pytest.raises(ToolingError) as caught:
            lifecycle.start(moto, timeout=5)
    # THEN the error names the port and says how to pick another
    assert f"port {moto.port}" in caught.value.message
    assert "not a moto server" in caught.value.message
    assert lifecycle.PORT_ENV_VAR in caught.value.hint
    assert not moto.pid_file.exists()


def test_port_taken_by_a_foreign_moto_is_reported_as_such(
    running: lifecycle.Emulator, tmp_path: Path
) -> None:
    # GIVEN our moto runs, and a second emulator definition with other dirs uses the same port
    other = lifecycle.Emulator(port=running.port, state_dir=tmp_path / "other")
    # WHEN the second one is started
    with pytest.raises(ToolingError) as caught:
        lifecycle.start(other, timeout=5)
    # THEN it refuses to adopt a server it did not start
    assert "moto server the tooling did not start" in caught.value.message


def test_a_restart_makes_the_recorded_state_stale(
    running: lifecycle.Emulator, tmp_path: Path
) -> None:
    # GIVEN a work dir whose state was applied against the running emulator
    work = tmp_path / "work"
    assert lifecycle.reset_state_if_stale(running, work) is False  # nothing there yet
    (work / "terraform.tfstate").write_text('{"serial": 3}')
    (work / "tfplan").write_bytes(b"plan")
    (work / ".terraform").mkdir()
    (work / ".terraform" / "terraform.tfstate").write_text("{}")
    # WHEN nothing changed THEN the state is kept
    assert lifecycle.reset_state_if_stale(running, work) is False
    assert (work / "terraform.tfstate").exists()
    # WHEN the emulator restarts (new in-memory world)
    before = lifecycle.instance_id(running)
    lifecycle.stop(running)
    lifecycle.start(running)
    # THEN the state and plans are dropped, the TF data dir kept, and the new id recorded
    assert lifecycle.instance_id(running) != before
    assert lifecycle.reset_state_if_stale(running, work) is True
    assert not (work / "terraform.tfstate").exists()
    assert not (work / "tfplan").exists()
    assert (work / ".terraform" / "terraform.tfstate").exists()
    marker = (work / lifecycle.STATE_MARKER_NAME).read_text().strip()
    assert marker == lifecycle.instance_id(running)


def test_a_wiped_emulator_is_detected_without_a_restart(
    running: lifecycle.Emulator, tmp_path: Path
) -> None:
    # GIVEN state recorded against the running emulator
    work = tmp_path / "work"
    lifecycle.reset_state_if_stale(running, work)
    (work / "terraform.tfstate").write_text("{}")
    # WHEN moto's memory is wiped through its own API (same process, same pid)
    reset = urllib.request.Request(f"{running.endpoint}/moto-api/reset", method="POST")  # noqa: S310 - loopback
    with urllib.request.urlopen(reset, timeout=5) as response:  # noqa: S310 - loopback
        assert response.status == 200
    # THEN the state counts as stale
    assert lifecycle.reset_state_if_stale(running, work) is True
    assert not (work / "terraform.tfstate").exists()


def test_port_and_dir_come_from_the_environment(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    # GIVEN the env vars set (they win over invoke config)
    monkeypatch.setenv(lifecycle.PORT_ENV_VAR, "45999")
    monkeypatch.setenv(lifecycle.DIR_ENV_VAR, str(tmp_path))
    # WHEN the project's emulator is resolved with a configured port
    chosen = lifecycle.default_emulator(port=4000)
    # THEN the env values are used
    assert chosen == lifecycle.Emulator(port=45999, state_dir=tmp_path.resolve())
    # AND without them the config and then the default apply
    monkeypatch.delenv(lifecycle.PORT_ENV_VAR)
    assert lifecycle.default_emulator(port="4000").port == 4000
    assert lifecycle.default_emulator().port == lifecycle.DEFAULT_PORT


@pytest.mark.parametrize("bad", ["http", "0", "70000"])
def test_a_bad_port_is_a_clear_error(monkeypatch: pytest.MonkeyPatch, bad: str) -> None:
    monkeypatch.setenv(lifecycle.PORT_ENV_VAR, bad)
    with pytest.raises(ToolingError, match="is not a TCP port number"):
        lifecycle.default_emulator()


def test_fake_environment_points_at_the_emulator() -> None:
    chosen = lifecycle.Emulator(port=45000)
    env = lifecycle.fake_aws_environment(chosen, "eu-west-1")
    assert env["AWS_ENDPOINT_URL"] == "http://127.0.0.1:45000"
    assert env["AWS_REGION"] == env["AWS_DEFAULT_REGION"] == "eu-west-1"
    assert env["AWS_ACCESS_KEY_ID"] == "test"


def _deployed(work_root: Path, name: str, marker: dict[str, str]) -> Path:
    """A work dir with a state, recorded against the emulator ``marker`` describes."""
    work = work_root / name
    work.mkdir(parents=True)
    (work / "terraform.tfstate").write_text('{"serial": 1}')
    (work / lifecycle.STATE_MARKER_NAME).write_text(marker["instance_id"] + "\n")
    (work / lifecycle.TARGET_MARKER_NAME).write_text(json.dumps({"endpoint": marker["endpoint"]}))
    return work


def test_a_restart_resets_and_names_every_env_deployed_to_that_emulator(
    shared: lifecycle.Emulator, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # GIVEN local and prod (emulated) deployed to this emulator before it restarted, and dev
    # (emulated) deployed to another emulator that is still up
    work_root = tmp_path / ".work"
    gone = {"instance_id": "before-the-restart", "endpoint": shared.endpoint}
    local = _deployed(work_root, "local", gone)
    prod = _deployed(work_root, "prod-emulated", gone)
    elsewhere = {"instance_id": "other", "endpoint": "http://127.0.0.1:1"}
    dev = _deployed(work_root, "dev-emulated", elsewhere)
    # WHEN local is prepared against the restarted emulator
    reset = lifecycle.reset_stale_states(shared, local, work_root=work_root)
    # THEN both of its envs are reset, and said so by name
    assert reset == ["local", "prod (emulated)"]
    assert not (local / "terraform.tfstate").exists()
    assert not (prod / "terraform.tfstate").exists()
    said = capsys.readouterr().err
    assert "reset the Terraform state of local, prod (emulated)" in said
    # AND the env on the other emulator is left alone
    assert (dev / "terraform.tfstate").is_file()
    # AND preparing prod next says nothing more: its reset is already recorded
    assert lifecycle.reset_stale_states(shared, prod, work_root=work_root) == []
    assert capsys.readouterr().err == ""


def test_status_names_the_envs_deployed_to_the_running_emulator(
    shared: lifecycle.Emulator, tmp_path: Path
) -> None:
    # GIVEN one env deployed to this instance and one to an earlier one
    work_root = tmp_path / ".work"
    current = lifecycle.status(shared).instance_id
    _deployed(work_root, "local", {"instance_id": current, "endpoint": shared.endpoint})
    _deployed(work_root, "prod-emulated", {"instance_id": "old", "endpoint": shared.endpoint})
    # WHEN the status is read THEN only the live one is listed
    found = lifecycle.status(shared, work_root)
    assert found.deployed_envs == ("local",)
    assert "envs deployed to it: local" in found.describe()


def test_account_credentials_reach_that_account_and_only_it(shared: lifecycle.Emulator) -> None:
    # GIVEN credentials for another moto account
    environment = lifecycle.account_credentials(shared, "210987654321")

    def client(service: str, env: dict[str, str]) -> Any:
        return boto3.client(
            service,
            endpoint_url=shared.endpoint,
            region_name="us-east-1",
            aws_access_key_id=env["AWS_ACCESS_KEY_ID"],
            aws_secret_access_key=env["AWS_SECRET_ACCESS_KEY"],
            aws_session_token=env["AWS_SESSION_TOKEN"],
        )

    # WHEN used THEN the calls land in that account
    assert client("sts", environment).get_caller_identity()["Account"] == "210987654321"
    client("sns", environment).create_topic(Name="only-there")
    # AND the default account (the plain fake credentials) does not see what was made there
    default = lifecycle.account_credentials(shared, lifecycle.MOTO_ACCOUNT_ID)
    assert default["AWS_ACCESS_KEY_ID"] == "test"
    assert client("sns", default).list_topics()["Topics"] == []
