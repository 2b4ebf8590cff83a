"""The draft socket: tokens stream in order, then a done frame with the engine label; refusals
are clear messages. The consumer works in its own thread and connection, so these tests commit
their rows (transaction=True) and tests/browser's high-water clean-up removes them."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from asgiref.sync import sync_to_async
from channels.routing import URLRouter
from channels.security.websocket import AllowedHostsOriginValidator
from channels.testing.websocket import WebsocketCommunicator
from django.conf import settings
from django.test import Client
from django_tenants.utils import schema_context

from crm.tenancy.channels import WorkspaceWebsocketMiddleware
from intelligence.ai.models import AIFeature, AIUsage
from intelligence.language.drafting_builtin import OPT_OUT_LINE
from intelligence.language.drafting_consumers import drafting_websocket_urlpatterns

from ..ai.conftest import ANTHROPIC, anthropic_stream, configure, make_provider
from ..browser.conftest import _delete_newer, _high_water
from .conftest import make_records

pytestmark = pytest.mark.django_db(transaction=True)

# As config/asgi.py will mount it (see the report).
application = AllowedHostsOriginValidator(
    WorkspaceWebsocketMiddleware(URLRouter(drafting_websocket_urlpatterns()))
)


@pytest.fixture(autouse=True)
def _committed_rows_removed(django_db_setup, django_db_blocker) -> Iterator[None]:
    schemas = [ws.schema for ws in django_db_setup.values()]
    before = {schema: _high_water(schema) for schema in schemas}
    yield
    with django_db_blocker.unblock():
        for schema, (marks, sessions) in before.items():
            _delete_newer(schema, marks, sessions)
        with schema_context(django_db_setup["alpha"].schema):
            AIFeature.objects.filter(key="drafting").delete()


def _cookie(schema: str, user) -> str:
    client = Client()
    with schema_context(schema):
        client.force_login(user)
    return client.cookies[settings.SESSION_COOKIE_NAME].value


def _headers(ws, key: str) -> list:
    return [
        (b"host", ws.host.encode()),
        (b"origin", f"http://{ws.host}".encode()),
        (b"cookie", f"{settings.SESSION_COOKIE_NAME}={key}".encode()),
    ]


@pytest.fixture
def setup(alpha):
    rep = alpha.make_user(email="socket.rep@alpha.test")
    with schema_context(alpha.schema):
        made = make_records(owner=rep)
    return rep, made, _cookie(alpha.schema, rep)


async def _draft(headers: list, **message) -> list[dict]:
    communicator = WebsocketCommunicator(application, "/ws/ai/draft/", headers=headers)
    connected, _ = await communicator.connect()
    assert connected
    await communicator.send_json_to({"type": "draft", **message})
    frames = []
    while True:
        frame = await communicator.receive_json_from(timeout=10)
        frames.append(frame)
        if frame["type"] in ("done", "error"):
            break
    await communicator.disconnect()
    return frames


REQUEST = {"channel": "sms", "purpose": "answer_question", "tone": "friendly"}


async def test_builtin_draft_streams_word_by_word(alpha, setup):
    _rep, made, key = setup
    frames = await _draft(
        _headers(alpha, key), record_type="lead", record_id=made["lead"].pk, **REQUEST
    )
    assert frames[0] == {"type": "start", "engine": "Built-in engine"}
    tokens = [f["text"] for f in frames if f["type"] == "token"]
    done = frames[-1]
    assert done["type"] == "done" and done["engine"] == "Built-in engine"
    assert len(tokens) > 5
    assert "".join(tokens).rstrip() == done["text"]
    assert "inspection on Saturday?" in done["text"] and done["text"].endswith(OPT_OUT_LINE)
    assert done["segments"]["segments"] in (1, 2)
    usage = await sync_to_async(_usage)(alpha.schema, done["usage_id"])
    assert (usage.feature, usage.mode, usage.record_type) == ("drafting", "stream", "lead")


def _usage(schema, pk):
    with schema_context(schema):
        return AIUsage.objects.get(pk=pk)


async def test_provider_tokens_arrive_in_order(alpha, setup, stub):
    _rep, made, key = setup

    def configure_claude():
        with schema_context(alpha.schema):
            configure(primary=make_provider())

    await sync_to_async(configure_claude)()
    chunks = ["Hi Dana, ", "Saturday ", "at 10 ", "works. ", "- Sam"]
    stub.queue(ANTHROPIC, anthropic_stream(chunks))
    frames = await _draft(
        _headers(alpha, key), record_type="deal", record_id=made["deal"].pk, **REQUEST
    )
    assert frames[0]["type"] == "start" and frames[0]["engine"].startswith("Claude")
    tokens = [f["text"] for f in frames if f["type"] == "token"]
    assert tokens == [*chunks, f"\n{OPT_OUT_LINE}"]
    done = frames[-1]
    assert done["engine"].startswith("Claude") and done["usage_id"]
    assert done["text"] == "".join(chunks) + f"\n{OPT_OUT_LINE}"


async def test_someone_elses_lead_is_refused(alpha, setup):
    _rep, made, _key = setup
    other = await sync_to_async(alpha.make_user)(email="socket.other@alpha.test")
    other_key = await sync_to_async(_cookie)(alpha.schema, other)
    frames = await _draft(
        _headers(alpha, other_key), record_type="lead", record_id=made["lead"].pk, **REQUEST
    )
    assert frames == [
        {
            "type": "error",
            "fields": {},
            "message": "Only the record's owner or a manager can draft messages for it.",
        }
    ]


async def test_another_workspaces_record_is_unknown(alpha, beta, setup):
    _rep, made, _key = setup
    beta_rep = await sync_to_async(beta.make_user)(email="socket.rep@beta.test")
    beta_key = await sync_to_async(_cookie)(beta.schema, beta_rep)
    frames = await _draft(
        _headers(beta, beta_key), record_type="lead", record_id=made["lead"].pk, **REQUEST
    )
    assert frames[0]["type"] == "error"
    assert "No lead" in frames[0]["message"] and "Dana" not in str(frames)
    # alpha's session on beta's host is anonymous there: refused before any draft.
    communicator = WebsocketCommunicator(application, "/ws/ai/draft/", headers=_headers(beta, _key))
    await communicator.connect()
    assert await communicator.receive_output(timeout=2) == {"type": "websocket.close", "code": 1008}


@pytest.mark.parametrize(
    ("message", "field"),
    [
        ({"record_type": "lead", "channel": "fax"}, "channel"),
        ({"record_type": "lead", "purpose": "spam"}, "purpose"),
        ({"record_type": "lead", "tone": "angry"}, "tone"),
        ({"record_type": "invoice"}, "record"),
        ({"record_type": "lead", "record_id": "abc"}, "record"),
    ],
)
async def test_bad_input_gets_a_clear_error(alpha, setup, message, field):
    _rep, made, key = setup
    payload = {**REQUEST, "record_id": made["lead"].pk, **message}
    frames = await _draft(_headers(alpha, key), **payload)
    assert frames[-1]["type"] == "error"
    assert field in frames[-1]["fields"]
    assert "Traceback" not in frames[-1]["message"]


async def test_unknown_message_and_feature_off(alpha, setup):
    _rep, made, key = setup
    communicator = WebsocketCommunicator(application, "/ws/ai/draft/", headers=_headers(alpha, key))
    await communicator.connect()
    await communicator.send_to(text_data="not json")
    assert (await communicator.receive_json_from())["type"] == "error"
    await communicator.send_json_to({"type": "hello"})
    assert (await communicator.receive_json_from())["type"] == "error"
    await communicator.disconnect()

    def off():
        with schema_context(alpha.schema):
            AIFeature.objects.create(key="drafting", enabled=False)

    await sync_to_async(off)()
    frames = await _draft(
        _headers(alpha, key), record_type="lead", record_id=made["lead"].pk, **REQUEST
    )
    assert frames[-1]["type"] == "error" and "turned off" in frames[-1]["message"]
