"""Customer churn / 3-year value rescoring on a realistic book:

- 3,000 customer companies, each with 2 customer contacts (9,000 customers in all), ~10
  activities per company spread over its links (the company itself, its contacts, its deals),
  3 deals each (won, lost, open, with amounts), an opt-out and a couple of tasks for some;
- 20,000 prospect contacts with a lead and an activity each, and deals for some, as noise so
  that a scan of the activity, contact or deal tables is expensive.

Times `customer_rescore_all()` (every current customer: history, features, rules scorecard,
CLV, one CustomerScore row each), median over several runs, in customers per second, and the
parts of `history_load` for one batch of 2,000 customers (records, timeline, deals,
opt-outs and tasks) with their query counts.
"""

from __future__ import annotations

import os
import random
import statistics
import time
from datetime import timedelta
from decimal import Decimal

from _harness import report, setup_django, throwaway_database

COMPANIES = int(os.environ.get("BENCH_CUSTOMER_COMPANIES", "3000"))
NOISE = int(os.environ.get("BENCH_CUSTOMER_NOISE", "20000"))
RUNS = int(os.environ.get("BENCH_CUSTOMER_RUNS", "3"))
DAY = timedelta(days=1)


def _populate() -> None:
    from django.utils import timezone

    from crm.activities.models import Activity, Task
    from crm.contacts.models import Company, ConsentRecord, Contact
    from crm.deals.models import Deal, DealContact, Pipeline
    from crm.leads.models import Lead

    rng, now = random.Random(7), timezone.now()
    pipeline = Pipeline.objects.get(is_default=True)
    open_stage = pipeline.stages.filter(is_won=False, is_lost=False).order_by("position").first()
    won, lost = pipeline.stages.get(is_won=True), pipeline.stages.get(is_lost=True)
    kinds = ["call", "email", "sms", "meeting", "note"]
    directions = ["inbound", "outbound", "internal"]

    def ago(low: int, high: int):
        return now - rng.randint(low, high) * DAY - rng.randint(0, 86_399) * timedelta(seconds=1)

    companies = Company.objects.bulk_create(
        [
            Company(
                name=f"Customer {i}",
                industry=rng.choice(["roofing", "dental", "legal"]),
                employee_count=rng.randint(2, 300),
                lifecycle_stage="customer",
                became_customer_at=ago(120, 1500),
            )
            for i in range(COMPANIES)
        ],
        batch_size=2000,
    )
    contacts = Contact.objects.bulk_create(
        [
            Contact(
                first_name=f"C{i}",
                last_name=str(k),
                company=company,
                lifecycle_stage="customer",
                became_customer_at=company.became_customer_at,
                source=rng.choice(["web", "referral", "import"]),
            )
            for i, company in enumerate(companies)
            for k in range(2)
        ],
        batch_size=2000,
    )
    deals, roles = [], []
    for i, company in enumerate(companies):
        primary = contacts[2 * i]
        for stage in (won, lost, open_stage):
            deals.append(Deal(
                name=f"D{i}-{stage.pk}", company=company,
                primary_contact=primary if rng.random() < 0.7 else None,
                amount=Decimal(rng.randint(500, 20_000)), pipeline=pipeline, stage=stage,
                closed_at=None if stage is open_stage else ago(1, 700),
            ))  # fmt: skip
    deals = Deal.objects.bulk_create(deals, batch_size=2000)
    for i in range(COMPANIES):
        roles.append(DealContact(deal=deals[3 * i], contact=contacts[2 * i + 1], role="champion"))
    DealContact.objects.bulk_create(roles, batch_size=2000)

    noise_contacts = Contact.objects.bulk_create(
        [Contact(first_name=f"P{i}", lifecycle_stage="prospect") for i in range(NOISE)],
        batch_size=2000,
    )
    noise_deals = Deal.objects.bulk_create(
        [
            Deal(
                name=f"N{i}",
                primary_contact=c,
                amount=Decimal(1000),
                pipeline=pipeline,
                stage=open_stage,
            )
            for i, c in enumerate(noise_contacts[: NOISE // 4])
        ],
        batch_size=2000,
    )
    leads = Lead.objects.bulk_create(
        [Lead(contact=c, source="web") for c in noise_contacts], batch_size=2000
    )

    activities = []
    for i, company in enumerate(companies):
        links = [
            {"company": company},
            {"contact": contacts[2 * i]},
            {"contact": contacts[2 * i + 1]},
            {"deal": deals[3 * i + rng.randint(0, 2)]},
            {"contact": contacts[2 * i], "company": company},  # reachable twice
        ]
        for _ in range(rng.randint(6, 14)):
            activities.append(Activity(
                kind=rng.choice(kinds), direction=rng.choice(directions), occurred_at=ago(0, 700),
                **rng.choice(links),
            ))  # fmt: skip
        activities.append(Activity(kind="system", company=company, occurred_at=ago(0, 700)))
    for k, lead in enumerate(leads):
        activities.append(Activity(kind="email", direction="outbound", lead=lead,
                                   contact=noise_contacts[k], occurred_at=ago(0, 300)))  # fmt: skip
    for deal in noise_deals:
        activities.append(Activity(kind="call", deal=deal, occurred_at=ago(0, 300)))
    Activity.objects.bulk_create(activities, batch_size=5000)

    ConsentRecord.objects.bulk_create(
        [
            ConsentRecord(
                contact=contacts[i],
                channel="sms",
                status="revoked",
                source="sms",
                occurred_at=ago(0, 400),
            )
            for i in range(0, len(contacts), 10)
        ]
        + [
            ConsentRecord(
                contact=c, channel="email", status="revoked", source="web", occurred_at=ago(0, 400)
            )
            for c in noise_contacts[::5]
        ],
        batch_size=2000,
    )
    tasks = []
    for i, company in enumerate(companies):
        tasks.append(Task(title="Check in", company=company, due_at=ago(-20, 60),
                          done=rng.random() < 0.5))  # fmt: skip
        tasks.append(Task(title="Renewal", contact=contacts[2 * i], due_at=ago(-20, 60)))
    tasks += [Task(title="Follow up", lead=lead, due_at=ago(0, 30)) for lead in leads[::2]]
    Task.objects.bulk_create(tasks, batch_size=2000)


def _loader_times(keys) -> dict[str, dict]:
    """Each part of history_load for one batch: median seconds of RUNS, and SQL statements
    (django-tenants' `SET search_path` before each one left out)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from intelligence.customers import features as f

    companies = [pk for kind, pk in keys if kind == f.COMPANY]
    contacts = [pk for kind, pk in keys if kind == f.CONTACT]
    parts = {
        "entities": lambda: f._entities(companies, contacts),
        "activities": lambda: f._load_activities(f._entities(companies, contacts), companies,
                                                 contacts),
        "deals": lambda: f._load_deals(f._entities(companies, contacts), companies, contacts),
        "opt_outs_and_tasks": lambda: f._load_signals(f._entities(companies, contacts),
                                                      companies, contacts),
        "history_load": lambda: f.history_load(keys=keys),
    }  # fmt: skip
    entities_s = None
    out = {}
    for name, fn in parts.items():
        times = []
        for _ in range(RUNS):
            with CaptureQueriesContext(connection) as captured:
                start = time.perf_counter()
                fn()
                times.append(time.perf_counter() - start)
        seconds = statistics.median(times)
        queries = sum(1 for q in captured if not q["sql"].startswith("SET search_path"))
        if name == "entities":
            entities_s = seconds
        elif name != "history_load":  # the part alone, without reading the records first
            seconds, queries = seconds - entities_s, queries - out["entities"]["queries"]
        out[name] = {"s": round(seconds, 4), "queries": queries}
    return out


def main() -> None:
    setup_django()
    from django.db import connection
    from django_tenants.utils import schema_context

    from crm.activities.models import Activity
    from crm.tenancy.services import public_workspace_ensure, workspace_create
    from intelligence.customers.models import CustomerScore
    from intelligence.customers.selectors import customer_keys_current
    from intelligence.customers.services import BATCH_SIZE, customer_rescore_all

    with throwaway_database():
        public_workspace_ensure()
        workspace = workspace_create(
            name="Bench customers", slug="benchcust", owner_email="owner@benchcust.test",
            owner_password="Bench-Pass-2026",
        ).workspace  # fmt: skip
        with schema_context(workspace.schema_name):
            start = time.perf_counter()
            _populate()
            setup_s = time.perf_counter() - start
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE")
            keys = customer_keys_current()
            activities = Activity.objects.count()
            customer_rescore_all()  # warm
            times, counts = [], []
            for _ in range(RUNS):
                start = time.perf_counter()
                counts.append(customer_rescore_all())
                times.append(time.perf_counter() - start)
            loaders = _loader_times(keys[:BATCH_SIZE])
            score_rows = CustomerScore.objects.count()
        connection.close()
    median = statistics.median(times)
    report("customer_scoring", {
        "customers": len(keys), "companies": COMPANIES, "noise_contacts": NOISE,
        "activities": activities, "setup_s": round(setup_s, 1),
        "rescore_all_s_median": round(median, 3),
        "rescore_all_s_runs": [round(t, 3) for t in times],
        "customers_per_s_median": round(counts[0] / median),
        "customers_per_s_runs": [round(c / t) for c, t in zip(counts, times, strict=True)],
        "score_rows_written": score_rows,
        "history_load_one_batch": {"batch": min(BATCH_SIZE, len(keys)), **loaders},
    })  # fmt: skip


if __name__ == "__main__":
    main()
