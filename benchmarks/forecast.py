"""Revenue forecast for a pipeline of 10,000 open deals with 10,000 Monte Carlo draws:

- the full service call (queries, the win-probability map, the simulation for the team, every
  owner and every pipeline), median and p95 over repeated runs (target < 2 s);
- its parts: the win-probability map alone and the simulation alone;
- the partner API `GET /api/v1/forecast` and the rep UI page `/forecast/`, in-process through
  Django's test client (middleware, auth, serialisation / template; no network).
"""

from __future__ import annotations

import os
import resource
from datetime import timedelta
from decimal import Decimal

from _harness import report, setup_django, summary, throwaway_database, timed

DEALS = int(os.environ.get("BENCH_FORECAST_DEALS", "10000"))
DRAWS = int(os.environ.get("BENCH_FORECAST_DRAWS", "10000"))
RUNS = int(os.environ.get("BENCH_FORECAST_RUNS", "15"))
OWNERS = 20
WON = 500
TARGET_S = 2.0


def _populate(today) -> None:
    from django.utils import timezone

    from crm.deals.models import Deal, Pipeline
    from crm.deals.services import pipeline_create
    from crm.team.models import Role
    from crm.team.services import user_create

    owners = [
        user_create(
            email=f"rep{i}@benchfc.test", password=None, role=Role.REP, full_name=f"Rep {i}"
        )
        for i in range(OWNERS)
    ]
    pipelines = [Pipeline.objects.get(is_default=True), pipeline_create(name="Renewals")]
    stages = [
        (p, [s for s in p.stages.all() if not s.is_closed], p.stages.get(is_won=True))
        for p in pipelines
    ]
    now = timezone.now()
    deals = []
    for i in range(DEALS):
        pipeline, open_stages, _ = stages[i % 2]
        deals.append(
            Deal(
                name=f"Deal {i}",
                amount=Decimal(1000 + (i * 37) % 90_000),
                currency="USD",
                pipeline=pipeline,
                stage=open_stages[i % len(open_stages)],
                owner=owners[i % OWNERS] if i % 50 else None,
                expected_close_date=today + timedelta(days=0),
            )
        )
    for i in range(WON):
        pipeline, _, won = stages[i % 2]
        deals.append(
            Deal(
                name=f"Won {i}",
                amount=Decimal(500 + i),
                pipeline=pipeline,
                stage=won,
                owner=owners[i % OWNERS],
                expected_close_date=today,
                closed_at=now,
            )
        )
    Deal.objects.bulk_create(deals, batch_size=2000)


def main() -> None:
    setup_django()
    import numpy as np
    from django.conf import settings
    from django.db import connection
    from django.test import Client
    from django_tenants.utils import schema_context

    from crm.deals.models import Deal
    from crm.team.apikeys import api_key_create
    from crm.team.models import User
    from crm.tenancy.services import public_workspace_ensure, workspace_create
    from intelligence.deals.selectors import deal_win_probability_map
    from intelligence.forecast.montecarlo import simulate
    from intelligence.forecast.periods import MONTH, period_containing
    from intelligence.forecast.selectors import forecast_compute, workspace_today_and_zone

    with throwaway_database():
        public_workspace_ensure()
        workspace = workspace_create(
            name="Bench", slug="benchfc", owner_email="owner@benchfc.test",
            owner_password="Bench-Pass-2026",
        ).workspace  # fmt: skip
        host = f"benchfc.{settings.BASE_DOMAIN}"
        with schema_context(workspace.schema_name):
            today = workspace_today_and_zone()[0]
            setup_s = timed(lambda: _populate(today))
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE")
            period = period_containing(day=today, kind=MONTH)
            secret = api_key_create(name="bench", scopes=["deals:read"]).secret
            owner = User.objects.get(email="owner@benchfc.test")
            open_ids = list(
                Deal.objects.filter(stage__is_won=False, stage__is_lost=False).values_list(
                    "pk", flat=True
                )
            )

            def service() -> None:
                forecast_compute(period=period, draws=DRAWS)

            service()  # warm
            service_times = [timed(service) for _ in range(RUNS)]
            map_times = [
                timed(lambda: deal_win_probability_map(deal_ids=open_ids)) for _ in range(5)
            ]
            forecast = forecast_compute(period=period, draws=DRAWS)
            columns = 1 + len(forecast.owners) + len(forecast.pipelines)
            rng = np.random.default_rng(0)
            cells = rng.integers(0, 2 * OWNERS, len(open_ids))
            membership = np.zeros((2 * OWNERS, columns))
            membership[:, 0] = 1.0  # team
            membership[np.arange(2 * OWNERS), 1 + np.arange(2 * OWNERS) % OWNERS] = 1.0
            membership[np.arange(2 * OWNERS), 1 + OWNERS + np.arange(2 * OWNERS) // OWNERS] = 1.0
            book = {
                "probabilities": rng.random(len(open_ids)),
                "amounts": rng.random(len(open_ids)) * 50_000,
                "cells": cells,
                "columns": membership[:, :columns],
            }
            mc_times = [timed(lambda: simulate(**book, draws=DRAWS, seed=1)) for _ in range(RUNS)]

        api = Client(HTTP_HOST=host, HTTP_AUTHORIZATION=f"Bearer {secret}")
        page = Client(HTTP_HOST=host)
        with schema_context(workspace.schema_name):
            page.force_login(owner)

        def get(client: Client, url: str) -> None:
            response = client.get(url)
            assert response.status_code == 200, (url, response.status_code)

        api_url = f"/api/v1/forecast?period={period.label}"
        get(api, api_url)
        get(page, "/forecast/")
        api_times = [timed(lambda: get(api, api_url)) for _ in range(max(5, RUNS // 2))]
        page_times = [timed(lambda: get(page, "/forecast/")) for _ in range(max(5, RUNS // 2))]

    stats = summary(service_times)
    team = forecast.total.figures[0]
    report(
        "forecast",
        {
            "open_deals": len(open_ids),
            "won_deals_in_period": WON,
            "owners": OWNERS,
            "draws": DRAWS,
            "columns_simulated": columns,
            "setup_bulk_insert_s": round(setup_s, 1),
            "service_full": stats,
            "win_probability_map": summary(map_times),
            "monte_carlo_only": summary(mc_times),
            "api_get_forecast": summary(api_times),
            "page_forecast": summary(page_times),
            "team_figures": {
                "closed_won": str(team.closed_won),
                "weighted_stage": str(team.weighted_stage),
                "weighted_ml": str(team.weighted_ml),
                "p10": str(team.p10),
                "p50": str(team.p50),
                "p90": str(team.p90),
            },
            "max_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
            "target_s": TARGET_S,
            "meets_target": stats["p95_s"] < TARGET_S,
        },
    )


if __name__ == "__main__":
    main()
