"""The rep UI's heaviest pages, timed at the view through Django's test client in-process
(middleware, session auth, selectors, template rendering; no network):

- the leads list `/leads/` over 50,000 leads (target p95 < 150 ms),
- a lead's detail page with 500 timeline entries (target p95 < 150 ms),
- the SQL query count of both pages with 50 leads and with 50,000 (must be equal).
"""

from __future__ import annotations

import os
from datetime import timedelta

from _harness import report, setup_django, summary, throwaway_database, timed

LEADS = int(os.environ.get("BENCH_UI_LEADS", "50000"))
SMALL = 50
TIMELINE = 500
RUNS = int(os.environ.get("BENCH_UI_RUNS", "100"))
BATCH = 5000
TARGET_P95_S = 0.150


def _populate(start: int, stop: int, owner) -> None:
    from crm.contacts.models import Contact
    from crm.leads.models import Lead, LeadStatus

    statuses = [LeadStatus.NEW, LeadStatus.CONTACTED, LeadStatus.QUALIFIED, LeadStatus.LOST]
    for first in range(start, stop, BATCH):
        size = min(BATCH, stop - first)
        contacts = Contact.objects.bulk_create(
            [
                Contact(
                    first_name=f"First{i}",
                    last_name=f"Last{i}",
                    email=f"p{i}@bench.test",
                    phone=f"+1512555{i % 10000:04d}",
                )
                for i in range(first, first + size)
            ]
        )
        Lead.objects.bulk_create(
            [
                Lead(
                    contact=c,
                    source="web" if i % 3 else "ad",
                    status=statuses[i % 4],
                    owner=owner if i % 2 else None,
                    estimated_value=i % 5000,
                )
                for i, c in zip(range(first, first + size), contacts, strict=True)
            ]
        )


def _timeline(lead, owner) -> None:
    from django.utils import timezone

    from crm.activities.models import Activity, Task

    now = timezone.now()
    Activity.objects.bulk_create(
        [
            Activity(
                lead=lead,
                contact=lead.contact,
                kind=Activity.Kind.NOTE,
                actor=owner,
                subject=f"Note {i}",
                body="Spoke about the roof. " * 5,
                occurred_at=now - timedelta(minutes=i),
            )
            for i in range(TIMELINE - 50)
        ]
    )
    Task.objects.bulk_create(
        [Task(lead=lead, title=f"Follow up {i}", assignee=owner, due_at=now) for i in range(50)]
    )


def _analyze() -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")


def main() -> None:
    setup_django()
    from django.conf import settings
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from django_tenants.utils import schema_context

    from crm.leads.models import Lead
    from crm.team.models import User
    from crm.tenancy.services import public_workspace_ensure, workspace_create

    with throwaway_database():
        public_workspace_ensure()
        workspace = workspace_create(
            name="Bench", slug="benchui", owner_email="owner@benchui.test",
            owner_password="Bench-Pass-2026",
        ).workspace  # fmt: skip
        client = Client(HTTP_HOST=f"benchui.{settings.BASE_DOMAIN}")
        with schema_context(workspace.schema_name):
            owner = User.objects.get(email="owner@benchui.test")
            client.force_login(owner)
            _populate(0, SMALL, owner)
            lead = Lead.objects.order_by("pk").first()
            _timeline(lead, owner)
            _analyze()

        def get(url: str) -> None:
            response = client.get(url)
            assert response.status_code == 200, (url, response.status_code)

        list_url, detail_url = "/leads/", f"/leads/{lead.pk}/"

        def queries(url: str) -> int:
            get(url)  # warm
            with CaptureQueriesContext(connection) as captured:
                get(url)
            return len(captured)

        small = {"list": queries(list_url), "detail": queries(detail_url)}
        with schema_context(workspace.schema_name):
            setup_s = timed(lambda: _populate(SMALL, LEADS, owner))
            _analyze()
        large = {"list": queries(list_url), "detail": queries(detail_url)}

        for _ in range(10):
            get(list_url)
            get(detail_url)
        list_times = [timed(lambda: get(list_url)) for _ in range(RUNS)]
        filtered_url = "/leads/?status=qualified&owner=me&sort=-created"
        filtered_times = [timed(lambda: get(filtered_url)) for _ in range(RUNS)]
        search_url = "/leads/?q=Last4242"
        search_times = [timed(lambda: get(search_url)) for _ in range(RUNS // 2)]
        detail_times = [timed(lambda: get(detail_url)) for _ in range(RUNS)]

    list_stats, detail_stats = summary(list_times), summary(detail_times)
    report(
        "ui_pages",
        {
            "leads": LEADS,
            "timeline_entries": TIMELINE,
            "setup_bulk_insert_s": round(setup_s, 1),
            "leads_list": list_stats,
            "leads_list_filtered": summary(filtered_times),
            "leads_list_search": summary(search_times),
            "lead_detail_500_timeline": detail_stats,
            "queries_with_50_leads": small,
            "queries_with_many_leads": large,
            "query_count_constant": small == large,
            "target_p95_s": TARGET_P95_S,
            "meets_target": list_stats["p95_s"] < TARGET_P95_S
            and detail_stats["p95_s"] < TARGET_P95_S,
        },
    )


if __name__ == "__main__":
    main()
