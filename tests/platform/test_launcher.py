"""`make demo` end to end: the launcher brings up web + worker + beat against a database of
its own, the demo workspace answers, the worker's heartbeat turns /healthz green, and SIGINT
(Ctrl-C) stops every process it started."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psutil
import psycopg
import pytest
from django.conf import settings

ROOT = Path(__file__).resolve().parents[2]
STARTUP_TIMEOUT_S = 120


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _url_with_database(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=f"/{name}"))


@pytest.fixture
def scratch_database_url():
    name = f"lodestar_e2e_{uuid.uuid4().hex[:8]}"
    admin_url = _url_with_database(settings.DATABASE_URL, "postgres")
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    yield _url_with_database(settings.DATABASE_URL, name)
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _get(port: int, host: str, path: str) -> tuple[int, str]:
    request = urllib.request.Request(f"http://127.0.0.1:{port}{path}", headers={"Host": host})
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode()


def _wait_for(predicate, *, timeout: float, process: subprocess.Popen, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"launcher exited early ({process.returncode}) while waiting for {what}")
        try:
            if predicate():
                return
        except OSError:
            pass  # not listening yet
        time.sleep(0.5)
    pytest.fail(f"timed out waiting for {what}")


def test_demo_starts_everything_and_ctrl_c_stops_it(scratch_database_url, tmp_path):
    port = _free_port()
    env = dict(
        os.environ,
        DJANGO_SETTINGS_MODULE="config.settings.dev",
        DATABASE_URL=scratch_database_url,
        REDIS_URL=settings.REDIS_URL,
        LODESTAR_REDIS_PREFIX=f"e2e-{uuid.uuid4().hex[:8]}",
        LODESTAR_HEARTBEAT_INTERVAL="2",
        EMAIL_FILE_PATH=str(tmp_path / "mail"),
    )
    log = (tmp_path / "launcher.log").open("w")
    launcher = subprocess.Popen(
        [sys.executable, "-m", "config.launcher", "--port", str(port)],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    try:
        _wait_for(
            lambda: _get(port, f"acme.localhost:{port}", "/accounts/login/")[0] == 200,
            timeout=STARTUP_TIMEOUT_S, process=launcher, what="the acme login page",
        )  # fmt: skip
        _, body = _get(port, f"acme.localhost:{port}", "/accounts/login/")
        assert "Sign in to Acme Roofing" in body
        assert _get(port, f"localhost:{port}", "/")[1].count("Create your workspace") >= 1
        _wait_for(
            lambda: json.loads(_get(port, f"localhost:{port}", "/healthz")[1])["status"] == "ok",
            timeout=60, process=launcher, what="a worker heartbeat (beat → worker)",
        )  # fmt: skip
        children = psutil.Process(launcher.pid).children(recursive=True)
        assert len(children) >= 3  # web, worker (+ its pool), beat
        launcher.send_signal(signal.SIGINT)
        assert launcher.wait(timeout=30) == 0
        _, alive = psutil.wait_procs(children, timeout=10)
        assert not alive, f"left running: {[p.cmdline() for p in alive]}"
    finally:
        if launcher.poll() is None:
            launcher.kill()
        log.close()
        print((tmp_path / "launcher.log").read_text()[-3000:])
