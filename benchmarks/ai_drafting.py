"""Drafting speed: the built-in engine's full draft call, and the first token on the socket.

- Built-in draft: `draft_write` (record facts and timeline, prompt rendering, gateway planning,
  built-in templates with SMS segment fitting, usage row) for SMS and email over varied
  purposes and tones. Target: p95 < 50 ms.
- First token: the /ws/ai/draft/ consumer behind the real workspace middleware (host → workspace,
  session → user), driven by channels' WebsocketCommunicator; from sending the draft request to
  receiving the first token frame, with a stubbed Anthropic stream (the real SDK client over
  httpx2.MockTransport) and with the built-in engine. Target: p95 < 300 ms.
"""

from __future__ import annotations

import asyncio
import json
import os
import time
from datetime import timedelta

from _harness import percentile, report, setup_django, throwaway_database

os.environ.setdefault("TEST_DB_SUFFIX", "_bench_h8")

DRAFT_ROUNDS, SOCKET_ROUNDS, WARMUP = 300, 60, 5


def _ms(values: list[float]) -> dict[str, float]:
    return {
        "n": len(values),
        "p50_ms": round(percentile(values, 50) * 1000, 2),
        "p95_ms": round(percentile(values, 95) * 1000, 2),
        "max_ms": round(max(values) * 1000, 2),
    }


def _sse_stream(chunks: list[str]) -> bytes:
    start = {
        "type": "message_start",
        "message": {
            "id": "msg_b",
            "type": "message",
            "role": "assistant",
            "model": "claude-sonnet-4-6",
            "content": [],
            "stop_reason": None,
            "stop_sequence": None,
            "usage": {"input_tokens": 300, "output_tokens": 1},
        },
    }
    events = [
        ("message_start", start),
        (
            "content_block_start",
            {
                "type": "content_block_start",
                "index": 0,
                "content_block": {"type": "text", "text": ""},
            },
        ),
        *[
            (
                "content_block_delta",
                {
                    "type": "content_block_delta",
                    "index": 0,
                    "delta": {"type": "text_delta", "text": c},
                },
            )
            for c in chunks
        ],
        ("content_block_stop", {"type": "content_block_stop", "index": 0}),
        (
            "message_delta",
            {
                "type": "message_delta",
                "usage": {"output_tokens": 30},
                "delta": {"stop_reason": "end_turn", "stop_sequence": None},
            },
        ),
        ("message_stop", {"type": "message_stop"}),
    ]
    return "".join(f"event: {n}\ndata: {json.dumps(d)}\n\n" for n, d in events).encode()


def main() -> None:
    setup_django()
    import httpx2
    from channels.routing import URLRouter
    from channels.testing.websocket import WebsocketCommunicator
    from django.conf import settings
    from django.test import Client
    from django.utils import timezone
    from django_tenants.utils import schema_context

    from crm.activities.models import Activity
    from crm.contacts.models import Company, Contact
    from crm.leads.models import Lead
    from crm.team.services import user_create
    from crm.tenancy.channels import WorkspaceWebsocketMiddleware
    from crm.tenancy.services import public_workspace_ensure, workspace_create
    from intelligence.ai import providers
    from intelligence.ai.models import AISettings, ProviderConnection, ProviderKind
    from intelligence.ai.services import provider_api_key_set
    from intelligence.language.drafting import PURPOSES, TONES, draft_write, drafting_register
    from intelligence.language.drafting_consumers import drafting_websocket_urlpatterns

    drafting_register()
    stream_body = _sse_stream(["Hi Dana, ", "Saturday ", "at 10 ", "works ", "for us. ", "- Sam"])
    providers.HTTP_CLIENT_FACTORY = lambda: httpx2.Client(
        transport=httpx2.MockTransport(
            lambda request: httpx2.Response(
                200, content=stream_body, headers={"content-type": "text/event-stream"}
            )
        )
    )
    app = WorkspaceWebsocketMiddleware(URLRouter(drafting_websocket_urlpatterns()))

    with throwaway_database():
        public_workspace_ensure()
        made = workspace_create(
            name="Draft",
            slug="draftbench",
            owner_email="o@draft.test",
            owner_password="Bench-Pass-2026",
        )
        schema = made.workspace.schema_name
        host = f"draftbench.{settings.BASE_DOMAIN}"
        with schema_context(schema):
            rep = user_create(
                email="rep@draft.test",
                password="Bench-Pass-2026",
                role="rep",
                full_name="Sam Rivera",
            )
            leads = []
            for i in range(20):
                firm = Company.objects.create(name=f"Firm {i}")
                contact = Contact.objects.create(
                    first_name=f"Dana{i}", last_name="Reyes", company=firm, owner=rep
                )
                lead = Lead.objects.create(
                    contact=contact, interest="roof replacement", owner=rep, estimated_value=12000
                )
                for d in range(8):
                    Activity.objects.create(
                        kind="sms",
                        direction="inbound" if d % 2 else "outbound",
                        body=f"Message {d}: can you do Saturday?",
                        lead=lead,
                        contact=contact,
                        occurred_at=timezone.now() - timedelta(days=d),
                    )
                leads.append(lead)
            combos = [(c, p, t) for c in ("sms", "email") for p in PURPOSES for t in TONES]
            timings = []
            for i in range(DRAFT_ROUNDS + WARMUP):
                channel, purpose, tone = combos[i % len(combos)]
                started = time.perf_counter()
                draft_write(
                    record=leads[i % len(leads)],
                    user=rep,
                    channel=channel,
                    purpose=purpose,
                    tone=tone,
                )
                if i >= WARMUP:
                    timings.append(time.perf_counter() - started)
            client = Client()
            client.force_login(rep)
            cookie = client.cookies[settings.SESSION_COOKIE_NAME].value
        headers = [
            (b"host", host.encode()),
            (b"origin", f"http://{host}".encode()),
            (b"cookie", f"{settings.SESSION_COOKIE_NAME}={cookie}".encode()),
        ]

        async def first_tokens() -> list[float]:
            out = []
            for i in range(SOCKET_ROUNDS + WARMUP):
                communicator = WebsocketCommunicator(app, "/ws/ai/draft/", headers=headers)
                await communicator.connect()
                started = time.perf_counter()
                await communicator.send_json_to(
                    {
                        "type": "draft",
                        "record_type": "lead",
                        "record_id": leads[i % 20].pk,
                        "channel": "sms",
                        "purpose": "follow_up",
                        "tone": "friendly",
                    }
                )
                first = None
                while True:
                    frame = await communicator.receive_json_from(timeout=10)
                    if frame["type"] == "token" and first is None:
                        first = time.perf_counter() - started
                    if frame["type"] in ("done", "error"):
                        assert frame["type"] == "done", frame
                        break
                await communicator.disconnect()
                if i >= WARMUP:
                    out.append(first)
            return out

        builtin_first = asyncio.run(first_tokens())
        with schema_context(schema):
            connection = ProviderConnection.objects.create(
                name="claude", kind=ProviderKind.ANTHROPIC, model="claude-sonnet-4-6"
            )
            provider_api_key_set(connection=connection, api_key="sk-bench-key-123456")
            config, _ = AISettings.objects.get_or_create(singleton=True)
            config.primary = connection
            config.save()
        provider_first = asyncio.run(first_tokens())

    builtin_draft = _ms(timings)
    provider_socket = _ms(provider_first)
    report(
        "ai_drafting",
        {
            "builtin_draft_write": builtin_draft,
            "builtin_draft_target_p95_ms": 50,
            "builtin_draft_within_target": builtin_draft["p95_ms"] < 50,
            "socket_first_token_stubbed_anthropic": provider_socket,
            "socket_first_token_builtin": _ms(builtin_first),
            "socket_first_token_target_p95_ms": 300,
            "socket_first_token_within_target": provider_socket["p95_ms"] < 300,
        },
    )


if __name__ == "__main__":
    main()
