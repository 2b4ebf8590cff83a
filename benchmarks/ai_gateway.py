"""AI gateway overhead and the built-in engine's speed.

Overhead: the same stubbed Anthropic response (httpx2.MockTransport under the real SDK client)
called bare through `anthropic.Anthropic(...).messages.create` and through `ai_complete`
(one query for the config generation and the month's spend with the config cached in process,
prompt rendering, flag/budget/breaker checks, redaction, then one statement for the usage row
and the monthly spend), interleaved pair by pair; the figure is gateway minus bare per pair
(target: p95 < 5 ms). Built-in engine: `ai_complete` with no provider on a ~1,500-character
call note (extractive summary + usage row), and the engine alone (no database).
"""

from __future__ import annotations

import os
import time

from _harness import percentile, report, setup_django, throwaway_database

os.environ.setdefault("TEST_DB_SUFFIX", "_bench_h6")

ROUNDS, WARMUP = 400, 30
NOTE = (
    "Called Maria Lopez about the roof replacement at her Orlando house. She got two other "
    "quotes, one from Sunshine Roofing at $13,200 and one from a friend of her brother. "
    "Her budget is around $12,000 but she could stretch for a better warranty. The weather "
    "has been strange and she is worried about the hurricane season. She wants the work done "
    "before November and asked whether we offer financing. Her husband handles the paperwork; "
    "his email is carlos.lopez@example.com and his cell is (407) 555-0199. I will send the "
    "financing options and the warranty terms tomorrow, and schedule an inspection for next "
    "Tuesday afternoon. She mentioned the neighbours used us in 2021 and were happy. She does "
    "not want calls before 9am. Her kids play soccer on Saturdays so weekends are hard. "
) * 2


def _ms(values: list[float]) -> dict[str, float]:
    return {
        "n": len(values),
        "p50_ms": round(percentile(values, 50) * 1000, 3),
        "p95_ms": round(percentile(values, 95) * 1000, 3),
    }


def main() -> None:
    setup_django()
    import anthropic
    import httpx2
    from django.conf import settings
    from django.db import connection
    from django_tenants.utils import schema_context

    from crm.tenancy.services import public_workspace_ensure, workspace_create
    from intelligence.ai import providers
    from intelligence.ai.builtin import BuiltinRequest, builtin_answer
    from intelligence.ai.models import AISettings, ProviderConnection, ProviderKind
    from intelligence.ai.prompts import prompt_render, prompt_resolve
    from intelligence.ai.services import ai_complete, provider_api_key_set

    body = {
        "id": "msg_1",
        "type": "message",
        "role": "assistant",
        "model": "claude-sonnet-4-6",
        "content": [{"type": "text", "text": "Maria wants the roof done before November."}],
        "stop_reason": "end_turn",
        "stop_sequence": None,
        "usage": {"input_tokens": 420, "output_tokens": 24},
    }

    def handler(request: httpx2.Request) -> httpx2.Response:
        return httpx2.Response(200, json=body)

    def stub_client() -> httpx2.Client:
        return httpx2.Client(transport=httpx2.MockTransport(handler))

    variables = {"text": NOTE, "max_sentences": 2}
    with throwaway_database():
        public_workspace_ensure()
        workspace_create(
            name="ai", slug="aibench", owner_email="o@ai.test", owner_password="Bench-Pass-2026"
        )
        with schema_context("ws_aibench"):
            providers.HTTP_CLIENT_FACTORY = stub_client
            conn = ProviderConnection.objects.create(
                name="Claude", kind=ProviderKind.ANTHROPIC, model="claude-sonnet-4-6"
            )
            provider_api_key_set(connection=conn, api_key="sk-bench-000000000000")
            AISettings.objects.create(primary=conn, monthly_budget_usd=1_000_000, redact_pii=True)

            bare_client = anthropic.Anthropic(
                api_key="sk-bench-000000000000",
                max_retries=0,
                timeout=20,
                http_client=stub_client(),
            )
            rendered = prompt_render(prompt_resolve("summary.text"), variables)

            def bare() -> None:
                bare_client.messages.create(
                    model="claude-sonnet-4-6",
                    max_tokens=1024,
                    system=rendered.system,
                    messages=[{"role": "user", "content": rendered.user}],
                )

            def gateway() -> None:
                result = ai_complete(
                    feature="summary", prompt_key="summary.text", variables=variables
                )
                assert result.provider == "anthropic", result

            def pairs() -> tuple[list[float], list[float], list[float]]:
                bare_s, gateway_s, overhead_s = [], [], []
                for i in range(WARMUP + ROUNDS):
                    # Alternate which goes first so neither always gets the warmer cache.
                    order = (bare, gateway) if i % 2 else (gateway, bare)
                    took = {}
                    for fn in order:
                        start = time.perf_counter()
                        fn()
                        took[fn] = time.perf_counter() - start
                    if i >= WARMUP:
                        bare_s.append(took[bare])
                        gateway_s.append(took[gateway])
                        overhead_s.append(took[gateway] - took[bare])
                return bare_s, gateway_s, overhead_s

            bare_s, gateway_s, overhead_s = pairs()
            # django-tenants re-sends SET search_path before every query unless told not to;
            # the same pairs with TENANT_LIMIT_SET_CALLS show what that costs the gateway.
            settings.TENANT_LIMIT_SET_CALLS = True
            _, _, limited_s = pairs()
            settings.TENANT_LIMIT_SET_CALLS = False

            # The built-in engine: no provider configured.
            AISettings.objects.update(primary=None)
            builtin_s = []
            for i in range(WARMUP + ROUNDS):
                start = time.perf_counter()
                result = ai_complete(
                    feature="summary", prompt_key="summary.text", variables=variables
                )
                if i >= WARMUP:
                    builtin_s.append(time.perf_counter() - start)
            assert result.provider == "builtin" and result.text

            request = BuiltinRequest(
                feature="summary", prompt_key="summary.text", variables=variables, prompt=rendered
            )
            engine_s = []
            for i in range(WARMUP + ROUNDS):
                start = time.perf_counter()
                builtin_answer(request)
                if i >= WARMUP:
                    engine_s.append(time.perf_counter() - start)
            providers.HTTP_CLIENT_FACTORY = None
        connection.set_schema_to_public()

    overhead = _ms(overhead_s)
    report(
        "ai_gateway",
        {
            "gateway_overhead": {
                **overhead,
                "target_p95_ms": 5.0,
                "meets_target": overhead["p95_ms"] < 5.0,
            },
            "gateway_overhead_tenant_limit_set_calls": _ms(limited_s),
            "bare_sdk_call": _ms(bare_s),
            "gateway_call": _ms(gateway_s),
            "builtin_completion": {**_ms(builtin_s), "input_chars": len(NOTE)},
            "builtin_engine_only": _ms(engine_s),
        },
    )


if __name__ == "__main__":
    main()
