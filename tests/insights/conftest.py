"""Fixtures for conversation insights and Ask the CRM."""

from __future__ import annotations

import pytest
from django_tenants.utils import schema_context

from crm.activities.models import Activity
from crm.activities.services import activity_log
from crm.contacts.models import Contact
from crm.leads.models import Lead
from crm.team.models import Role
from tests.ai.conftest import _breakers_closed, stub  # noqa: F401  (shared fixtures)

TRANSCRIPT = """Rep: Hi Maria, this is Dana from Sunshine Roofing, thanks for taking my call.
Maria: Hi Dana. Yes, I got your message about the roof inspection.
Rep: Great. How old is the roof, and have you noticed any leaks since the storm?
Maria: It is about twenty years old. There is a leak over the kitchen and it is getting worse.
Rep: I understand. We can replace the damaged section or the whole roof, and we offer financing.
Maria: Honestly the price is too high for us right now. RoofCo quoted me a lot less last week.
Maria: I also need to talk to my husband before we decide anything.
Rep: That makes sense. I will send you a written quote with the financing options by Friday.
Rep: Can we schedule a call with you and your husband on Tuesday at 6pm to walk through it?
Maria: Tuesday works. Thank you, I appreciate you explaining everything so clearly.
"""


def make_lead(ws, *, owner=None, city="", region="", source="", first="Maria", **fields) -> Lead:
    with schema_context(ws.schema):
        contact = Contact.objects.create(first_name=first, city=city, region=region)
        return Lead.objects.create(contact=contact, owner=owner, source=source, **fields)


@pytest.fixture
def team(alpha):
    """A rep who owns the records, their manager, and another rep."""
    rep = alpha.make_user(email="dana@alpha.test", role=Role.REP)
    manager = alpha.make_user(email="boss@alpha.test", role=Role.MANAGER)
    other = alpha.make_user(email="other@alpha.test", role=Role.REP)
    return rep, manager, other


def log_call(ws, owner, text=TRANSCRIPT) -> Activity:
    """An outbound call with `text` as its notes, on a new lead owned by `owner`."""
    lead = make_lead(ws, owner=owner)
    with schema_context(ws.schema):
        return activity_log(kind="call", lead=lead, body=text, actor=owner, direction="outbound")
