"""Real-browser tests: Debian's chromium driven by Playwright against the app served over ASGI.

- `live_server_url(workspace)` -> "http://alpha.localhost:<port>": uvicorn serves
  config.asgi.application from a thread of this process, so it uses the pytest test database.
- `browser` (one chromium per run of browser tests), `page` (a fresh context per test),
  `login(page, workspace, email)`, `screenshot(page, name)` (PNG in test-artifacts/screenshots/).

The server's requests run on their own connections, so these tests need committed data:
`django_db(transaction=True)`. That brings two chores handled here: the public rows the flush
deletes are put back (the same guard as tests/jobs/conftest.py), and the rows a test committed
in a workspace schema (which the flush never touches) are deleted afterwards.

No browser is downloaded: chromium comes from apt (`make test` installs it when it can). Without
it the tests skip on a developer machine and fail in CI (CI=true).
"""

from __future__ import annotations

import os
import socket
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from django.apps import apps
from django.conf import settings
from django.contrib.sessions.models import Session
from django.db import IntegrityError, connection, connections, transaction
from django.db.models import Model, ProtectedError
from django_tenants.utils import schema_context

from ..conftest import PASSWORD, WorkspaceFixture, _is_transactional

CHROMIUM = os.environ.get("LODESTAR_CHROMIUM", "/usr/bin/chromium")
# Without the background-networking flags chromium keeps dialling out (updates, sync, QUIC
# probes), which a closed network refuses slowly; none of it is needed to render our pages.
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SCREENSHOTS = Path(settings.BASE_DIR) / "test-artifacts" / "screenshots"
TIMEOUT_MS = 5_000  # a local page either answers quickly or is broken


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if _is_browser_test(item):
            item.add_marker(pytest.mark.browser)
            # whitenoise serves static files from the finders with a sync iterator; harmless.
            item.add_marker(pytest.mark.filterwarnings("ignore:StreamingHttpResponse must"))


def _missing_browser(reason: str) -> None:
    # A developer without chromium still gets a green run; CI must never pass silently.
    if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
        pytest.fail(f"{reason} (CI=true: browser tests are required)", pytrace=False)
    pytest.skip(f"{reason}; run `make test` as root, or `apt-get install -y chromium`")


@pytest.hookimpl(wrapper=True)
def pytest_runtest_teardown(item: pytest.Item, nextitem: pytest.Item | None) -> Iterator[None]:
    try:
        return (yield)
    finally:
        if not _is_browser_test(nextitem):
            _CHROMIUM.stop()


# --- committed rows in workspace schemas are removed after each test ---------------------------


def _workspace_models() -> list[type[Model]]:
    names = {"crm.team", "django.contrib.admin", *settings.CRM_APPS}
    return [
        model
        for config in apps.get_app_configs()
        if config.name in names
        for model in config.get_models()
        if model._meta.pk.get_internal_type() in ("AutoField", "BigAutoField")
    ]


def _high_water(schema: str) -> tuple[dict[type[Model], int], set[str]]:
    with schema_context(schema):
        marks = {}
        for model in _workspace_models():
            last = model._base_manager.order_by("-pk").values_list("pk", flat=True).first()
            marks[model] = last or 0
        return marks, set(Session.objects.values_list("session_key", flat=True))


def _delete_newer(schema: str, marks: dict[type[Model], int], sessions: set[str]) -> None:
    with schema_context(schema):
        Session.objects.exclude(session_key__in=sessions).delete()
        pending = list(marks.items())
        for _ in range(len(pending) + 1):  # retry what a PROTECT blocked once its referrer is gone
            blocked = []
            for model, mark in pending:
                try:
                    with transaction.atomic():
                        model._base_manager.filter(pk__gt=mark).delete()
                except (ProtectedError, IntegrityError):
                    blocked.append((model, mark))
            if not blocked:
                return
            pending = blocked
        raise AssertionError(f"could not clean up rows of {[m.__name__ for m, _ in pending]}")


@pytest.fixture(autouse=True)
def _workspace_rows_cleaned(request: pytest.FixtureRequest) -> Iterator[None]:
    if not _is_transactional(request.node):
        yield
        return
    setup = request.getfixturevalue("django_db_setup")
    blocker = request.getfixturevalue("django_db_blocker")
    schemas = [ws.schema for ws in setup.values()]
    with blocker.unblock():
        before = {schema: _high_water(schema) for schema in schemas}
    yield
    with blocker.unblock():
        for schema, (marks, sessions) in before.items():
            _delete_newer(schema, marks, sessions)


# --- the live ASGI server ------------------------------------------------------------------------


class _LiveServer:
    """uvicorn on 127.0.0.1:<free port>, in a daemon thread of this process."""

    def __init__(self) -> None:
        import uvicorn

        from config.asgi import application

        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        config = uvicorn.Config(
            application, lifespan="off", log_level="warning", access_log=False, ws="auto"
        )
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(
            target=self.server.run, kwargs={"sockets": [self.sock]}, daemon=True, name="uvicorn"
        )

    def start(self) -> None:
        self.thread.start()
        deadline = time.monotonic() + 10
        while not self.server.started:
            if not self.thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("the live ASGI server did not start")
            time.sleep(0.02)

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)
        self.sock.close()


def _end_other_connections() -> None:
    """The server's threads may keep a connection to the test database: end them and wait
    until they are gone, so pytest-django can drop the database."""
    with connection.cursor() as cursor:
        for _ in range(50):
            cursor.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
            ended = cursor.fetchall()
            if not ended:
                return
            time.sleep(0.05)


@pytest.fixture(scope="session")
def _live_server(django_db_setup, django_db_blocker) -> Iterator[_LiveServer]:
    server = _LiveServer()
    server.start()
    yield server
    # Chromium first: while it is alive the live server keeps a database connection open and
    # the test database cannot be dropped at the end of the session.
    _CHROMIUM.stop()
    server.stop()
    with django_db_blocker.unblock():
        _end_other_connections()
        connections.close_all()


@pytest.fixture
def live_server_url(_live_server: _LiveServer) -> Callable[[WorkspaceFixture], str]:
    """`live_server_url(alpha)` -> "http://alpha.localhost:<port>" (chromium resolves any
    *.localhost name to loopback by itself, so no hosts file is needed)."""

    def url(workspace: WorkspaceFixture) -> str:
        return f"http://{workspace.host}:{_live_server.port}"

    return url


# --- Playwright ----------------------------------------------------------------------------------


class _Chromium:
    """One chromium for a run of browser tests, closed after the last of them.

    Not a session fixture: while Playwright's sync API is alive it marks an asyncio loop as
    running in the main thread, which makes Django refuse ORM calls ("async context") and
    pytest-asyncio refuse to start its loops. So it lives only while browser tests run, and
    during them Django's async-safety check is switched off (the loop is Playwright's, idle
    between calls; our ORM calls really are synchronous).
    """

    def __init__(self) -> None:
        self.playwright: Any = None
        self.browser: Any = None

    def get(self) -> Any:
        if self.browser is not None:
            return self.browser
        if not (os.path.isfile(CHROMIUM) and os.access(CHROMIUM, os.X_OK)):
            _missing_browser(f"no chromium at {CHROMIUM}")
        try:
            from playwright.sync_api import sync_playwright
        except ImportError:
            _missing_browser("the playwright package is not installed (pip install -e '.[dev]')")
        os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
        self.playwright = sync_playwright().start()
        self.browser = self.playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        return self.browser

    def stop(self) -> None:
        if self.playwright is None:
            return
        # While Playwright's loop is marked running, Django keeps this thread's connections in
        # a context variable instead of the thread-local: close those before it goes, or one
        # stays open and the test database cannot be dropped.
        connections.close_all()
        try:
            self.browser.close()
        finally:
            self.playwright.stop()
            self.playwright = self.browser = None
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)


_CHROMIUM = _Chromium()


def _is_browser_test(item: pytest.Item | None) -> bool:
    return item is not None and Path(__file__).parent in Path(item.path).parents


@pytest.fixture
def browser() -> Any:
    """The shared chromium (launched once, by the first browser test of a run)."""
    return _CHROMIUM.get()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.set_default_timeout(TIMEOUT_MS)
    yield context.new_page()
    context.close()


@pytest.fixture
def login(live_server_url: Callable[[WorkspaceFixture], str]) -> Callable[..., None]:
    """Sign in through the real login page, as a person would."""

    def sign_in(page: Any, workspace: WorkspaceFixture, email: str, password: str = PASSWORD):
        page.goto(f"{live_server_url(workspace)}/accounts/login/")
        page.fill("#id_username", email)
        page.fill("#id_password", password)
        page.click("button[type=submit]")
        page.wait_for_url(lambda url: "/accounts/login/" not in url)

    return sign_in


@pytest.fixture
def screenshot() -> Callable[[Any, str], Path]:
    """Save a full-page PNG under test-artifacts/screenshots/ (kept by CI as an artifact)."""

    def save(page: Any, name: str) -> Path:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        path = SCREENSHOTS / f"{name}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return save
