"""`make demo` start-up: seconds from launching to a working login page, on an empty database
(migrations + seeding + three processes) and again on the data the first run left (target:
second start under 20 s). Package installation is not included: see the closing notes for a
clean-clone measurement."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
import uuid
from urllib.parse import urlsplit, urlunsplit

from _harness import ROOT, report, setup_django

TIMEOUT_S = 300


def _login_page_up(port: int) -> bool:
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/accounts/login/", headers={"Host": f"acme.localhost:{port}"}
    )
    try:
        with urllib.request.urlopen(request, timeout=2) as response:
            return response.status == 200
    except OSError:
        return False


def _time_one_start(env: dict[str, str]) -> float:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    start = time.perf_counter()
    process = subprocess.Popen(
        [sys.executable, "-m", "config.launcher", "--port", str(port)], cwd=ROOT, env=env,
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        while not _login_page_up(port):
            if process.poll() is not None or time.perf_counter() - start > TIMEOUT_S:
                raise SystemExit(f"launcher failed to serve the login page (exit {process.poll()})")
            time.sleep(0.1)
        return time.perf_counter() - start
    finally:
        process.send_signal(signal.SIGINT)
        process.wait(timeout=60)


def main() -> None:
    setup_django()
    import psycopg
    from django.conf import settings

    parts = urlsplit(settings.DATABASE_URL)
    name = f"lodestar_bench_{uuid.uuid4().hex[:8]}"
    admin_url = urlunsplit(parts._replace(path="/postgres"))
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    env = dict(
        os.environ, DJANGO_SETTINGS_MODULE="config.settings.dev",
        DATABASE_URL=urlunsplit(parts._replace(path=f"/{name}")), REDIS_URL=settings.REDIS_URL,
        LODESTAR_REDIS_PREFIX=name,
    )  # fmt: skip
    try:
        first = _time_one_start(env)
        second = _time_one_start(env)
    finally:
        with psycopg.connect(admin_url, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    report(
        "demo_start",
        {
            "first_start_empty_database_s": round(first, 2),
            "second_start_s": round(second, 2),
            "target_second_start_s": 20,
            "meets_target": second < 20,
        },
    )


if __name__ == "__main__":
    main()
