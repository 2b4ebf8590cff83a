"""`make demo`: the whole product in one command.

Starts the embedded PostgreSQL and Redis (unless DATABASE_URL / REDIS_URL point elsewhere),
migrates every schema, seeds the demo workspace, then runs the ASGI web server (HTTP and
websockets), a Celery worker and Celery beat. Ctrl-C stops everything it started; the data
stays under .data/ for the next run.
"""

from __future__ import annotations

import argparse
import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field

from config import embedded

STOP_GRACE_SECONDS = 10


class LaunchError(RuntimeError):
    """Something the user can fix; printed as a message, never as a traceback."""


@dataclass
class Services:
    env: dict[str, str]
    redis: embedded.EmbeddedRedis | None = None
    children: dict[str, subprocess.Popen] = field(default_factory=dict)


def _port_free(host: str, port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError:
            return False
    return True


def start_backing_services(env: dict[str, str]) -> Services:
    """Embedded PostgreSQL and Redis for whichever of the two the environment does not name."""
    services = Services(env=env)
    if not env.get("DATABASE_URL"):
        # This process holds pgserver's handle: the server stops when the launcher exits.
        env["DATABASE_URL"] = embedded.start_postgres(stop_on_exit=True)
        print(f"• PostgreSQL (embedded) under {embedded.data_dir() / 'pg'}")
    else:
        print("• PostgreSQL from DATABASE_URL")
    if not env.get("REDIS_URL"):
        services.redis = embedded.start_redis()
        env["REDIS_URL"] = services.redis.url
        print(f"• Redis (embedded) on {services.redis.socket}")
    else:
        print("• Redis from REDIS_URL")
    return services


def _manage(env: dict[str, str], *args: str) -> None:
    result = subprocess.run([sys.executable, "manage.py", *args], env=env)
    if result.returncode != 0:
        raise LaunchError(f"`manage.py {' '.join(args)}` failed (exit {result.returncode}).")


def _process_commands(host: str, port: int) -> dict[str, list[str]]:
    python = sys.executable
    return {
        "web": [python, "-m", "uvicorn", "config.asgi:application", "--host", host,
                "--port", str(port), "--lifespan", "off", "--no-access-log"],
        "worker": [python, "-m", "celery", "-A", "config", "worker", "--loglevel", "INFO",
                   "--concurrency", "2", "--hostname", "lodestar@%h"],
        "beat": [python, "-m", "celery", "-A", "config", "beat", "--loglevel", "INFO",
                 "--schedule", str(embedded.data_dir() / "celerybeat-schedule")],
    }  # fmt: skip


def start_processes(services: Services, *, host: str, port: int) -> None:
    for name, command in _process_commands(host, port).items():
        # Own session: Ctrl-C reaches only the launcher, which then stops children in order.
        services.children[name] = subprocess.Popen(command, env=services.env,
                                                   start_new_session=True)  # fmt: skip


def stop_everything(services: Services) -> None:
    for process in services.children.values():
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
    deadline = time.monotonic() + STOP_GRACE_SECONDS
    for name, process in services.children.items():
        try:
            process.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            print(f"• {name} did not stop in {STOP_GRACE_SECONDS} s; killing it")
            process.kill()
            process.wait()
    # The embedded PostgreSQL and Redis stop when this process exits, if it was their last user.


def _banner(port: int) -> str:
    from crm.tenancy.demo_accounts import DEMO_PASSWORD, DEMO_SLUG, DEMO_TEAM, OPERATOR_EMAIL

    base = os.environ.get("LODESTAR_BASE_DOMAIN", "localhost")
    lines = [
        "",
        "Lodestar is running. Ctrl-C stops everything.",
        f"  Workspace app    http://{DEMO_SLUG}.{base}:{port}/",
        f"  Workspace admin  http://{DEMO_SLUG}.{base}:{port}/admin/   (admin or manager)",
        f"  Public site      http://{base}:{port}/   (create another workspace)",
        f"  Operators admin  http://{base}:{port}/admin/   ({OPERATOR_EMAIL})",
        f"  Health           http://{base}:{port}/healthz",
        f"  Demo logins (password {DEMO_PASSWORD}):",
        *(f"    {role:<8} {email}" for email, _, role in DEMO_TEAM),
        f"  Outgoing email is written to {embedded.data_dir() / 'mail'}/",
        "",
    ]
    return "\n".join(lines)


def _watch(services: Services) -> int:
    """Block until Ctrl-C / SIGTERM, or until a child dies on its own (then stop the rest)."""
    stopping = False

    def _request_stop(signum, _frame) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, _request_stop)
    signal.signal(signal.SIGTERM, _request_stop)
    while not stopping:
        for name, process in services.children.items():
            if process.poll() is not None:
                print(f"\n• {name} exited with code {process.returncode}; stopping the rest")
                return 1
        time.sleep(0.5)
    print("\n• Stopping…")
    return 0


def run(*, host: str, port: int, seed: bool = True) -> int:
    env = dict(os.environ)
    env.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.dev")
    env.setdefault("PYTHONUNBUFFERED", "1")
    if not _port_free(host, port):
        raise LaunchError(
            f"Port {port} on {host} is already in use (is another Lodestar running?). "
            "Stop it, or choose another port: make demo PORT=8010"
        )
    services = start_backing_services(env)
    try:
        _manage(env, "migrate_platform", "--verbosity", "0")
        if seed:
            _manage(env, "seed_demo", "--port", str(port))
        start_processes(services, host=host, port=port)
        print(_banner(port), flush=True)
        return _watch(services)
    finally:
        stop_everything(services)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default=os.environ.get("LODESTAR_HOST", "127.0.0.1"))
    parser.add_argument("--port", type=int, default=int(os.environ.get("LODESTAR_PORT", 8000)))
    parser.add_argument("--no-seed", action="store_true", help="skip the demo workspace")
    args = parser.parse_args(argv)
    try:
        return run(host=args.host, port=args.port, seed=not args.no_seed)
    except (embedded.EmbeddedServiceError, LaunchError) as exc:
        print(f"\nLodestar could not start.\n{exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:  # Ctrl-C during migrations or seeding
        print("\nStopped.", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
