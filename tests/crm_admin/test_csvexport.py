"""csv_export: header first, custom fields as columns, readable FKs, no formula injection."""

from __future__ import annotations

import csv
import io

from django_tenants.utils import schema_context

from crm.contacts.models import Contact
from crm.contacts.services import company_create, contact_create
from crm.csvexport import csv_export, csv_safe
from crm.customfields.services import custom_field_define
from crm.deals.models import Deal
from crm.deals.services import deal_create
from crm.leads.models import Lead
from crm.leads.services import lead_create


def _rows(lines) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO("".join(lines))))


def test_contact_export_header_custom_fields_and_escaping(alpha, manager):
    with schema_context(alpha.schema):
        custom_field_define(entity="contact", label="Budget", field_type="number")
        custom_field_define(entity="contact", label="Note", field_type="text")
        acme = company_create(name='=HYPERLINK("http://evil")')
        contact_create(
            first_name="@SUM(A1)",
            last_name="Safe",
            email="a@example.com",
            phone="+15125550100",
            company=acme,
            owner=manager,
            tags=["b", "a"],
            custom={"budget": -5, "note": "-2+3"},
        )
        lines = list(csv_export(entity="contact", queryset=Contact.objects.all()))
    header = next(csv.reader([lines[0]]))
    assert header[:4] == ["id", "first_name", "last_name", "email"]
    assert header[-2:] == ["custom.budget", "custom.note"]
    (row,) = _rows(lines)
    assert row["first_name"] == "'@SUM(A1)"
    assert row["last_name"] == "Safe"
    assert row["company"] == '\'=HYPERLINK("http://evil")'  # FK as its name, escaped
    assert row["owner"] == manager.email
    assert row["phone"] == "'+15125550100"
    assert row["tags"] == "a; b"
    assert row["custom.budget"] == "-5"  # a number is data, not a formula
    assert row["custom.note"] == "'-2+3"


def test_csv_safe_prefixes_every_formula_start():
    for dangerous in ("=1+1", "+1", "-1", "@x", "\tx", "\rx"):
        assert csv_safe(dangerous).startswith("'")
    assert csv_safe("plain") == "plain"
    assert csv_safe(None) == ""
    assert csv_safe(True) == "true"


def test_lead_and_deal_exports_use_readable_values(alpha, manager):
    with schema_context(alpha.schema):
        custom_field_define(entity="deal", label="Region", field_type="text")
        contact = contact_create(first_name="Lee", email="lee@example.com")
        lead_create(contact=contact, source="web", owner=manager)
        deal_create(name="Roof", primary_contact=contact, amount=100, custom={"region": "N"})
        leads = _rows(csv_export(entity="lead", queryset=Lead.objects.all()))
        deals = _rows(csv_export(entity="deal", queryset=Deal.objects.all()))
    assert leads[0]["contact"] == "Lee"
    assert leads[0]["contact_email"] == "lee@example.com"
    assert leads[0]["status"] == "new"
    assert deals[0]["stage"] and deals[0]["pipeline"]
    assert deals[0]["primary_contact"] == "Lee"
    assert deals[0]["custom.region"] == "N"


def test_export_only_sees_its_workspace_custom_fields(alpha, beta):
    with schema_context(beta.schema):
        custom_field_define(entity="contact", label="Beta only", field_type="text")
    with schema_context(alpha.schema):
        header = next(iter(csv_export(entity="contact", queryset=Contact.objects.all())))
    assert "custom.beta_only" not in header
