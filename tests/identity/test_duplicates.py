"""Finding duplicates by normalised email, E.164 phone or Messenger PSID, with flat queries."""

from __future__ import annotations

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django_tenants.utils import schema_context

from crm.contacts.identity import company_duplicate_groups, contact_duplicate_groups
from crm.contacts.services import company_create, contact_create


def _groups(found) -> dict[tuple[str, str], set[int]]:
    return {(g.key, g.value): set(g.ids) for g in found}


def test_duplicates_by_email_phone_and_psid(alpha):
    with schema_context(alpha.schema):
        a = contact_create(first_name="A", email="Same@Example.com")
        b = contact_create(first_name="B", email="same@example.com ")  # normalised on save
        c = contact_create(first_name="C", phone="(512) 555-0100")
        d = contact_create(first_name="D", phone="+1 512 555 0100")
        e = contact_create(first_name="E", messenger_psid="psid-1")
        f = contact_create(first_name="F", messenger_psid="psid-1")
        contact_create(first_name="Lonely", email="lonely@example.com", phone="+15125550199")
        contact_create(first_name="Blank1")
        contact_create(first_name="Blank2")  # blank emails/phones are not "the same"

        groups = _groups(contact_duplicate_groups())

        assert groups == {
            ("email", "same@example.com"): {a.pk, b.pk},
            ("phone", "+15125550100"): {c.pk, d.pk},
            ("messenger_psid", "psid-1"): {e.pk, f.pk},
        }
        # Oldest first: the natural survivor.
        first = next(g for g in contact_duplicate_groups() if g.key == "email")
        assert first.ids == [a.pk, b.pk]


def test_duplicate_groups_query_count_is_flat(alpha):
    with schema_context(alpha.schema):
        for i in range(2):
            contact_create(first_name=f"x{i}", email="x@example.com")
        with CaptureQueriesContext(connection) as few:
            contact_duplicate_groups()
        for i in range(10):
            contact_create(first_name=f"y{i}", email=f"y{i % 5}@example.com", phone="+15125550142")
        with CaptureQueriesContext(connection) as many:
            groups = contact_duplicate_groups()
        assert len(groups) == 7  # x, five y emails, one phone
        assert len(many) == len(few)  # one aggregate per key and one fetch, nothing per row


def test_company_duplicates_by_domain_and_name(alpha):
    with schema_context(alpha.schema):
        a = company_create(name="Acme", domain="www.acme.test")
        b = company_create(name="Acme Roofing", domain="acme.test")
        c = company_create(name="ACME")
        groups = _groups(company_duplicate_groups())
        assert groups == {("domain", "acme.test"): {a.pk, b.pk}, ("name", "acme"): {a.pk, c.pk}}


def test_duplicates_are_per_workspace(alpha, beta):
    with schema_context(alpha.schema):
        contact_create(first_name="A", email="twin@example.com")
    with schema_context(beta.schema):
        contact_create(first_name="B", email="twin@example.com")
        assert contact_duplicate_groups() == []
    with schema_context(alpha.schema):
        assert contact_duplicate_groups() == []
