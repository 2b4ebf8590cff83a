"""The bell and the notification centre: counts, mark read, CSRF, isolation, escaping."""

from __future__ import annotations

import pytest
from django_tenants.utils import schema_context

from crm.notifications.models import Notification
from crm.notifications.services import notification_send

pytestmark = pytest.mark.django_db


def _send(ws, user, title: str = "Lead assigned", url: str = "") -> Notification:
    with schema_context(ws.schema):
        return notification_send(user_id=user.pk, kind="lead.assigned", title=title, url=url)


def test_bell_shows_the_unread_count_and_links_to_the_centre(alpha, people, pushed):
    rep = people["rep"]
    _send(alpha, rep)
    _send(alpha, rep)
    html = alpha.logged_in_client(rep).get("/leads/").content.decode()
    assert 'aria-label="Notifications, 2 unread"' in html
    assert 'data-unread="2"' in html
    assert 'href="/notifications/"' in html
    assert "js/live.js" in html


def test_centre_lists_and_marks_read(alpha, people, pushed):
    rep = people["rep"]
    first, second = _send(alpha, rep, "first"), _send(alpha, rep, "second", url="/leads/")
    client = alpha.logged_in_client(rep)
    page = client.get("/notifications/").content.decode()
    assert "first" in page and "second" in page and "Mark all read (2)" in page

    assert client.post(f"/notifications/{first.pk}/read/").status_code == 302
    response = client.post(f"/notifications/{second.pk}/read/", {"open": "1"})
    assert response.status_code == 302 and response["Location"] == "/leads/"
    with schema_context(alpha.schema):
        assert Notification.objects.filter(read_at__isnull=True).count() == 0


def test_mark_all_read(alpha, people, pushed):
    rep = people["rep"]
    for i in range(3):
        _send(alpha, rep, f"n{i}")
    client = alpha.logged_in_client(rep)
    assert client.post("/notifications/read-all/").status_code == 302
    assert 'data-unread="0"' in client.get("/notifications/").content.decode()


def test_mark_read_needs_post_and_a_csrf_token(alpha, people, pushed):
    rep = people["rep"]
    n = _send(alpha, rep)
    client = alpha.logged_in_client(rep)
    assert client.get(f"/notifications/{n.pk}/read/").status_code == 405
    client.handler.enforce_csrf_checks = True
    assert client.post(f"/notifications/{n.pk}/read/").status_code == 403
    assert client.post("/notifications/read-all/").status_code == 403
    with schema_context(alpha.schema):
        assert Notification.objects.get(pk=n.pk).read_at is None


def test_anonymous_is_sent_to_sign_in(alpha):
    response = alpha.client().get("/notifications/")
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_another_users_notification_is_404(alpha, people, pushed):
    n = _send(alpha, people["manager"])
    client = alpha.logged_in_client(people["rep"])
    assert client.post(f"/notifications/{n.pk}/read/").status_code == 404


def test_workspaces_cannot_see_each_others_notifications(alpha, beta, people, pushed):
    secret = _send(alpha, people["rep"], "alpha secret")
    beta_rep = beta.make_user(email="notif.rep@beta.test")
    client = beta.logged_in_client(beta_rep)
    page = client.get("/notifications/").content.decode()
    assert "alpha secret" not in page
    assert 'data-unread="0"' in page
    assert client.post(f"/notifications/{secret.pk}/read/").status_code == 404
    with schema_context(alpha.schema):
        assert Notification.objects.get(pk=secret.pk).read_at is None


def test_external_links_are_not_followed(alpha, people, pushed):
    n = _send(alpha, people["rep"], url="https://evil.example/")
    response = alpha.logged_in_client(people["rep"]).post(
        f"/notifications/{n.pk}/read/", {"open": "1"}
    )
    assert response["Location"] == "/notifications/"


def test_titles_are_escaped_in_the_centre(alpha, people, pushed):
    payload = '<script>alert("x")</script><img src=x onerror=alert(1)>'
    _send(alpha, people["rep"], payload)
    page = alpha.logged_in_client(people["rep"]).get("/notifications/").content.decode()
    assert "<script>alert" not in page and "<img src=x" not in page
    assert "&lt;script&gt;alert" in page
