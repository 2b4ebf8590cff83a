"""Changing custom field definitions: label, choices, required, position, archive; the key and
type are guarded once records hold values, and a choice in use cannot be removed."""

from __future__ import annotations

from django_tenants.utils import schema_context

from crm.audit.models import AuditEvent
from crm.customfields.models import CustomFieldDefinition


def _define(api, **fields) -> dict:
    response = api.post("/api/v1/customfields/", fields)
    assert response.status_code == 201, response.content
    return response.json()


def test_update_label_required_position(api, alpha):
    field = _define(api, entity="deal", label="Budget", field_type="number")
    url = f"/api/v1/customfields/{field['id']}/"
    response = api.patch(url, {"label": "Budget (USD)", "required": True, "position": 3})
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["label"], body["required"], body["position"]) == ("Budget (USD)", True, 3)
    bad = api.patch(url, {"label": "", "position": -1})
    assert bad.status_code == 400 and {"label", "position"} <= set(bad.json()["errors"])
    bad = api.patch(url, {"entity": "lead"})
    assert bad.status_code == 400 and "new field" in bad.json()["errors"]["entity"][0]
    assert api.put(url, {"label": "x"}).status_code == 405
    with schema_context(alpha.schema):
        assert CustomFieldDefinition.objects.get(pk=field["id"]).label == "Budget (USD)"
        assert (
            AuditEvent.objects.filter(
                entity_type="customfield", entity_id=field["id"], source="api"
            ).count()
            == 3
        )


def test_key_and_type_change_only_while_unused(api, alpha):
    field = _define(api, entity="lead", label="Roof age", field_type="text")
    url = f"/api/v1/customfields/{field['id']}/"
    changed = api.patch(url, {"key": "roof_years", "field_type": "number"})
    assert changed.status_code == 200, changed.content
    assert (changed.json()["key"], changed.json()["field_type"]) == ("roof_years", "number")
    lead = api.post(
        "/api/v1/leads/", {"contact": {"first_name": "R"}, "custom": {"roof_years": 12}}
    )
    assert lead.status_code == 201, lead.content
    refused = api.patch(url, {"field_type": "text"})
    assert refused.status_code == 409, refused.content
    body = refused.json()
    assert body["type"] == "urn:lodestar:problem:conflict"
    assert "1 lead(s) hold a value" in body["errors"]["field_type"][0]
    refused = api.patch(url, {"key": "age"})
    assert refused.status_code == 409 and "key" in refused.json()["errors"]
    reserved = api.patch(url, {"key": "email"})
    assert reserved.status_code == 400 and "key" in reserved.json()["errors"]
    with schema_context(alpha.schema):
        stored = CustomFieldDefinition.objects.get(pk=field["id"])
        assert (stored.key, stored.field_type) == ("roof_years", "number")


def test_removing_a_choice_in_use_is_refused_with_the_count(api, alpha):
    field = _define(
        api,
        entity="contact",
        label="Tier",
        field_type="choice",
        choices=["gold", "silver", "bronze"],
    )
    url = f"/api/v1/customfields/{field['id']}/"
    for name in ("A", "B"):
        made = api.post("/api/v1/contacts/", {"first_name": name, "custom": {"tier": "Gold"}})
        assert made.status_code == 201 and made.json()["custom"] == {"tier": "gold"}
    refused = api.patch(url, {"choices": ["silver", "bronze"]})
    assert refused.status_code == 409, refused.content
    assert '2 contact(s) use the removed choice(s) "gold"' in refused.json()["detail"]
    # Removing an unused choice and adding one is fine.
    changed = api.patch(url, {"choices": ["gold", "silver", "platinum"]})
    assert changed.status_code == 200, changed.content
    assert changed.json()["choices"] == ["gold", "silver", "platinum"]
    emptied = api.patch(url, {"choices": []})
    assert emptied.status_code == 400 and "choices" in emptied.json()["errors"]
    with schema_context(alpha.schema):
        assert CustomFieldDefinition.objects.get(pk=field["id"]).choices == [
            "gold", "silver", "platinum",
        ]  # fmt: skip


def test_archive_and_unarchive(api, alpha):
    field = _define(api, entity="deal", label="Region", field_type="text")
    url = f"/api/v1/customfields/{field['id']}/"
    deal = api.post("/api/v1/deals/", {"name": "D", "custom": {"region": "north"}}).json()
    archived = api.patch(url, {"archived": True})
    assert archived.status_code == 200 and archived.json()["archived"] is True
    # Archived: no longer accepted on records, nor as a filter; stored values stay.
    rejected = api.patch(f"/api/v1/deals/{deal['id']}/", {"custom": {"region": "south"}})
    assert rejected.status_code == 400 and "custom.region" in rejected.json()["errors"]
    assert api.get("/api/v1/deals/?custom.region=north").status_code == 400
    restored = api.patch(url, {"archived": False})
    assert restored.status_code == 200 and restored.json()["archived"] is False
    assert api.get("/api/v1/deals/?custom.region=north").json()["results"][0]["id"] == deal["id"]
    with schema_context(alpha.schema):
        assert (
            AuditEvent.objects.filter(
                entity_type="customfield", entity_id=field["id"], field="archived"
            ).count()
            == 2
        )
