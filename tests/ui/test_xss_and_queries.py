"""Escaping of a hostile contact name everywhere it shows, and flat query counts."""

from __future__ import annotations

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django_tenants.utils import schema_context

from crm.activities.services import activity_log

SCRIPT = "<script>alert(1)</script>"
ESCAPED = "&lt;script&gt;alert(1)&lt;/script&gt;"


def test_script_in_contact_name_is_escaped_everywhere(alpha, people, make_lead):
    lead = make_lead(alpha, owner=people["rep"], first_name=SCRIPT, phone="512-555-0177")
    with schema_context(alpha.schema):
        activity_log(kind="note", body=SCRIPT, lead=lead, actor=people["rep"])
    client = alpha.logged_in_client(people["rep"])
    for path, params in [
        ("/leads/", {}),
        ("/leads/", {"q": "5125550177"}),  # search results
        ("/leads/", {"q": "script"}),
        (f"/leads/{lead.pk}/", {}),
        (f"/contacts/{lead.contact_id}/", {}),
        ("/", {}),
    ]:
        html = client.get(path, params).content.decode()
        assert SCRIPT not in html, path
        assert ESCAPED in html, (path, params)


def _count(client, path: str) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(path).status_code == 200
    return len(ctx.captured_queries)


def test_leads_list_query_count_is_flat(alpha, people, make_lead):
    client = alpha.logged_in_client(people["manager"])
    for i in range(5):
        make_lead(alpha, owner=people["rep"] if i % 2 else people["other"], source=f"s{i}")
    small = _count(client, "/leads/")
    for i in range(35):
        make_lead(alpha, owner=people["rep"] if i % 2 else None, source=f"t{i}")
    assert _count(client, "/leads/") == small
    assert _count(client, "/leads/?page=2&sort=name") == small


def test_lead_detail_query_count_is_flat(alpha, people, make_lead):
    lead = make_lead(alpha, owner=people["rep"])
    client = alpha.logged_in_client(people["rep"])
    with schema_context(alpha.schema):
        for i in range(5):
            activity_log(kind="note", body=f"n{i}", lead=lead, actor=people["rep"])
    small = _count(client, f"/leads/{lead.pk}/")
    with schema_context(alpha.schema):
        for i in range(35):
            activity_log(kind="call", body=f"c{i}", lead=lead,
                         actor=people["manager" if i % 2 else "rep"])  # fmt: skip
    assert _count(client, f"/leads/{lead.pk}/") == small
    assert _count(client, f"/contacts/{lead.contact_id}/") == _count(
        client, f"/contacts/{lead.contact_id}/"
    )


def test_today_query_count_is_flat(alpha, people, make_lead):
    client = alpha.logged_in_client(people["rep"])
    make_lead(alpha, owner=people["rep"])
    small = _count(client, "/")
    for _ in range(10):
        make_lead(alpha, owner=people["rep"])
    assert _count(client, "/") == small
