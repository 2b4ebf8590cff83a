"""GET /api/v1/leads/ (a page of 50) over 100,000 leads in one workspace, timed at the view
through Django's test client in-process (middleware, auth, filters, serialisation; no network).
Target: p95 under 50 ms for the first page. Deep pages (following cursors) and a filtered list
are measured too, since a cursor must cost the same at row 50 and at row 90,000."""

from __future__ import annotations

import os

from _harness import report, setup_django, summary, throwaway_database, timed

LEADS = int(os.environ.get("BENCH_API_LEADS", "100000"))
RUNS = int(os.environ.get("BENCH_API_RUNS", "200"))
BATCH = 5000
TARGET_P95_S = 0.050


def _populate(count: int) -> None:
    from django.db import connection

    from crm.contacts.models import Contact
    from crm.leads.models import Lead, LeadStatus

    statuses = [LeadStatus.NEW, LeadStatus.CONTACTED, LeadStatus.QUALIFIED, LeadStatus.LOST]
    for start in range(0, count, BATCH):
        size = min(BATCH, count - start)
        contacts = Contact.objects.bulk_create(
            [
                Contact(
                    first_name=f"First{i}",
                    last_name=f"Last{i}",
                    email=f"p{i}@bench.test",
                    custom={"region": "north" if i % 2 else "south", "budget": i % 1000},
                )
                for i in range(start, start + size)
            ]
        )
        Lead.objects.bulk_create(
            [
                Lead(
                    contact=c,
                    source="web" if i % 3 else "ad",
                    status=statuses[i % 4],
                    estimated_value=i % 5000,
                    custom={"roof_age": i % 40},
                )
                for i, c in zip(range(start, start + size), contacts, strict=True)
            ]
        )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")


def main() -> None:
    setup_django()
    from django.conf import settings
    from django.test import Client, override_settings
    from django_tenants.utils import schema_context

    from crm.customfields.services import custom_field_define
    from crm.team.apikeys import api_key_create
    from crm.tenancy.services import public_workspace_ensure, workspace_create

    # The throttle stays on (its cache round-trip is part of a real request), with room to run.
    rest = {**settings.REST_FRAMEWORK}
    rest["DEFAULT_THROTTLE_RATES"] = {**rest["DEFAULT_THROTTLE_RATES"], "api_key": "1000000/min"}
    with throwaway_database(), override_settings(REST_FRAMEWORK=rest):
        public_workspace_ensure()
        workspace = workspace_create(
            name="Bench", slug="benchapi", owner_email="owner@benchapi.test",
            owner_password="Bench-Pass-2026",
        ).workspace  # fmt: skip
        with schema_context(workspace.schema_name):
            custom_field_define(entity="lead", label="Roof age", field_type="number")
            setup_s = timed(lambda: _populate(LEADS))
            secret = api_key_create(name="bench", scopes=["leads:read"]).secret
        client = Client(
            HTTP_HOST=f"benchapi.{settings.BASE_DOMAIN}", HTTP_AUTHORIZATION=f"Bearer {secret}"
        )

        def get(url: str) -> dict:
            response = client.get(url)
            assert response.status_code == 200, response.content[:300]
            return response.json()

        first_url = "/api/v1/leads/?page_size=50"
        for _ in range(10):  # warm-up: connections, caches, the key's first-use write
            get(first_url)
        first_page = [timed(lambda: get(first_url)) for _ in range(RUNS)]

        # Deep pages: follow `next` cursors for a while, timing each hop.
        deep: list[float] = []
        url = first_url
        for _ in range(RUNS):
            page: dict = {}
            deep.append(timed(lambda u=url, p=page: p.update(get(u))))
            url = page["next"] or first_url

        filtered_url = "/api/v1/leads/?page_size=50&status=qualified&source=web"
        filtered = [timed(lambda: get(filtered_url)) for _ in range(RUNS)]
        custom_url = "/api/v1/leads/?page_size=50&custom.roof_age__gte=30"
        custom = [timed(lambda: get(custom_url)) for _ in range(RUNS)]

    stats = summary(first_page)
    report(
        "api_leads",
        {
            "leads": LEADS,
            "setup_bulk_insert_s": round(setup_s, 1),
            "first_page_50": stats,
            "following_cursors_page_50": summary(deep),
            "filtered_status_source_page_50": summary(filtered),
            "custom_field_filter_page_50": summary(custom),
            "target_p95_s": TARGET_P95_S,
            "meets_target": stats["p95_s"] < TARGET_P95_S,
        },
    )


if __name__ == "__main__":
    main()
