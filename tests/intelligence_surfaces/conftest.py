"""Fixtures for the surfaces of predictive intelligence: people, leads that score hot under the
rules, a clean rescoring queue (Redis outlives the test transaction), recorded task sends."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from datetime import timedelta

import pytest
from django.conf import settings
from django.utils import timezone
from django_tenants.utils import schema_context

from crm.activities.models import Activity
from crm.contacts.services import contact_create
from crm.leads.models import Lead
from crm.leads.services import lead_create
from crm.team.models import Role
from crm.tenancy.heartbeat import redis_client
from intelligence import handlers, rescoring

_n = itertools.count()


@pytest.fixture(autouse=True)
def _clean_rescoring_queue() -> Iterator[None]:
    def clear() -> None:
        client = redis_client()
        keys = list(client.scan_iter(match=f"{settings.REDIS_PREFIX}:intelligence:rescore:*"))
        if keys:
            client.delete(*keys)
        handlers.REFS.clear()

    clear()
    yield
    clear()


@pytest.fixture
def people(alpha):
    n = next(_n)
    return {
        "rep": alpha.make_user(email=f"rep{n}@alpha.test", role=Role.REP),
        "other": alpha.make_user(email=f"other{n}@alpha.test", role=Role.REP),
        "manager": alpha.make_user(email=f"boss{n}@alpha.test", role=Role.MANAGER),
    }


@pytest.fixture
def sent(monkeypatch) -> dict[str, list]:
    """Task sends recorded instead of reaching the broker."""
    calls: dict[str, list] = {"rescore": [], "train": [], "rescore_all": []}
    monkeypatch.setattr(
        rescoring,
        "_send_rescore_task",
        lambda schema, refs=None: calls["rescore"].append((schema, refs)),
    )
    monkeypatch.setattr(
        rescoring,
        "_send_train_task",
        lambda schema, kind, run_id, actor_id: calls["train"].append(
            (schema, kind, run_id, actor_id)
        ),
    )
    monkeypatch.setattr(
        rescoring,
        "_send_rescore_all",
        lambda schema, kind: calls["rescore_all"].append((schema, kind)),
    )
    return calls


def make_lead(ws, *, owner=None, first_name: str = "Ada", **fields) -> Lead:
    with schema_context(ws.schema):
        contact = contact_create(first_name=first_name, last_name=f"L{next(_n)}", owner=owner)
        return lead_create(contact=contact, owner=owner, **fields)


def make_hot(lead: Lead) -> Lead:
    """Engagement the rules scorecard calls hot: replies this week, calls, a referral, a quick
    first answer (bulk-created: these tests are about what happens after scoring)."""
    now = timezone.now()
    Activity.objects.bulk_create(
        [
            Activity(
                kind=Activity.Kind.SMS,
                direction=Activity.Direction.INBOUND,
                lead=lead,
                contact_id=lead.contact_id,
                occurred_at=now - timedelta(hours=i + 1),
            )
            for i in range(3)
        ]
        + [
            Activity(
                kind=Activity.Kind.CALL,
                direction=Activity.Direction.OUTBOUND,
                lead=lead,
                contact_id=lead.contact_id,
                occurred_at=now - timedelta(hours=i + 5),
            )
            for i in range(3)
        ]
    )
    Lead.objects.filter(pk=lead.pk).update(
        source="referral", estimated_value=5000, first_response_seconds=60
    )
    lead.refresh_from_db()
    return lead
