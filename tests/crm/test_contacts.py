import pytest
from django.core.exceptions import ValidationError
from django_tenants.utils import schema_context

from crm.audit.models import AuditEvent
from crm.contacts.models import ConsentRecord, Contact, DoNotContact
from crm.contacts.selectors import consent_status, dnc_contains, identity_find_duplicates
from crm.contacts.services import (
    company_create,
    consent_record,
    contact_create,
    contact_opt_out,
    contact_update,
    dnc_add,
)
from crm.customfields.services import custom_field_define


def test_contact_is_normalised_on_the_way_in(alpha):
    with schema_context(alpha.schema):
        contact = contact_create(
            first_name=" Ana ",
            last_name="Diaz",
            email=" Ana@Example.COM ",
            phone="(512) 555-0100",
            tags=["VIP", "vip", " roof "],
        )
        assert contact.email == "ana@example.com"
        assert contact.phone == "+15125550100"
        assert contact.first_name == "Ana"
        assert contact.tags == ["roof", "vip"]


def test_timezone_comes_from_address_then_phone_then_workspace(alpha):
    with schema_context(alpha.schema):
        by_address = contact_create(
            first_name="A", country="us", region="CA", phone="+1 212 555 0100"
        )
        by_phone = contact_create(first_name="B", phone="+1 212 555 0101")
        fallback = contact_create(first_name="C")
        assert (by_address.timezone, by_address.timezone_source) == (
            "America/Los_Angeles",
            "address",
        )
        assert (by_phone.timezone, by_phone.timezone_source) == ("America/New_York", "phone")
        assert (fallback.timezone, fallback.timezone_source) == ("UTC", "workspace")
        manual = contact_update(contact=fallback, changes={"timezone": "Europe/Madrid"})
        assert manual.timezone_source == "manual"
        # A later phone change does not override a hand-set zone.
        manual = contact_update(contact=manual, changes={"phone": "+1 212 555 0102"})
        assert manual.timezone == "Europe/Madrid"


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"first_name": "X", "email": "not-an-email"}, "email"),
        ({"first_name": "X", "phone": "12"}, "phone"),
        ({"first_name": "X", "phone": "call me maybe"}, "phone"),
        ({}, "__all__"),
        ({"first_name": "X", "nickname": "Y"}, "nickname"),
    ],
)
def test_bad_contacts_are_refused_with_field_errors(alpha, fields, field):
    with schema_context(alpha.schema):
        before = Contact.objects.count()
        with pytest.raises(ValidationError) as info:
            contact_create(**fields)
        assert field in info.value.message_dict
        assert Contact.objects.count() == before


def test_a_failed_update_changes_nothing(alpha):
    with schema_context(alpha.schema):
        contact = contact_create(first_name="Keep", email="keep@example.com")
        with pytest.raises(ValidationError):
            contact_update(contact=contact, changes={"first_name": "Lost", "email": "bad"})
        contact.refresh_from_db()
        assert (contact.first_name, contact.email) == ("Keep", "keep@example.com")


def test_updates_are_audited_field_by_field(alpha):
    user = alpha.make_user(email="auditor@alpha.test", role="manager")
    with schema_context(alpha.schema):
        contact = contact_create(first_name="Old", actor=user)
        contact_update(
            contact=contact,
            changes={"first_name": "New", "city": "Austin"},
            actor=user,
            origin="api",
        )
        rows = AuditEvent.objects.filter(
            entity_type="contact", entity_id=contact.pk, action="update"
        )
        assert {(r.field, r.old_value, r.new_value) for r in rows} == {
            ("first_name", "Old", "New"),
            ("city", "", "Austin"),
        }
        assert all(r.actor_id == user.pk and r.source == "api" for r in rows)


def test_custom_fields_are_validated_by_type(alpha):
    with schema_context(alpha.schema):
        custom_field_define(entity="contact", label="Budget", field_type="number")
        custom_field_define(
            entity="contact", label="Tier", field_type="choice", choices=["Gold", "Silver"]
        )
        contact = contact_create(first_name="C", custom={"budget": "1,200", "tier": "gold"})
        assert contact.custom == {"budget": 1200, "tier": "Gold"}
        with pytest.raises(ValidationError) as info:
            contact_create(first_name="D", custom={"budget": "lots", "tier": "Bronze", "nope": 1})
        assert set(info.value.message_dict) == {"custom.budget", "custom.tier", "custom.nope"}


def test_consent_history_and_opt_out(alpha):
    with schema_context(alpha.schema):
        contact = contact_create(first_name="Opt", phone="+15125550199")
        consent_record(
            contact=contact,
            channel="sms",
            granted=True,
            source="web_form",
            wording="I agree to receive texts from Alpha.",
            ip_address="203.0.113.9",
        )
        contact_opt_out(contact=contact, channel="sms", method="STOP reply")
        status = consent_status(contact=contact)
        assert status["sms"].status == ConsentRecord.Status.REVOKED
        assert status["sms"].method == "STOP reply"
        assert status["email"] is None
        assert contact.consents.count() == 2  # history kept
        with pytest.raises(ValidationError, match="wording"):
            consent_record(contact=contact, channel="sms", granted=True, source="web_form")
        with pytest.raises(ValidationError):
            consent_record(contact=contact, channel="fax", granted=True, source="x", wording="w")


def test_do_not_contact_list_normalises_and_matches(alpha):
    with schema_context(alpha.schema):
        dnc_add(value="(512) 555-0142", reason="asked on the phone")
        dnc_add(value="Block@Example.com")
        dnc_add(value="+15125550142")  # same number again: no duplicate row
        assert DoNotContact.objects.count() == 2
        assert dnc_contains(phone="+15125550142")
        assert dnc_contains(email="block@example.com")
        assert not dnc_contains(phone="+15125550143")
        with pytest.raises(ValidationError):
            dnc_add(value="not a number")


def test_duplicates_found_by_email_phone_or_psid(alpha):
    with schema_context(alpha.schema):
        first = contact_create(first_name="A", email="dup@example.com")
        second = contact_create(first_name="B", phone="+15125550777")
        third = contact_create(first_name="C", messenger_psid="psid-1")
        found = identity_find_duplicates(
            email="dup@example.com", phone="+15125550777", messenger_psid="psid-1"
        )
        assert list(found) == [first, second, third]
        assert not identity_find_duplicates().exists()


def test_contacts_and_companies_stay_in_their_workspace(alpha, beta):
    with schema_context(alpha.schema):
        company_create(name="Alpha Roofing")
        contact_create(first_name="Only", email="only@alpha.test")
    with schema_context(beta.schema):
        assert not Contact.objects.filter(email="only@alpha.test").exists()
        assert not identity_find_duplicates(email="only@alpha.test").exists()
        from crm.contacts.models import Company

        assert not Company.objects.filter(name="Alpha Roofing").exists()
