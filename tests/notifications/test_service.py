"""notification_send stores the row and pushes it only once the transaction commits."""

from __future__ import annotations

import pytest
from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django_tenants.utils import schema_context

from crm.notifications.models import Notification
from crm.notifications.selectors import notification_list, notification_unread_count
from crm.notifications.services import (
    notification_mark_all_read,
    notification_mark_read,
    notification_send,
)
from crm.team.realtime import user_group_name

pytestmark = pytest.mark.django_db


def test_send_stores_and_pushes_after_commit(
    alpha, people, pushed, django_capture_on_commit_callbacks
):
    rep = people["rep"]
    with schema_context(alpha.schema):
        with django_capture_on_commit_callbacks(execute=True):
            made = notification_send(user_id=rep.pk, kind="lead.assigned", title="Hi", url="/x/")
            assert pushed == []  # not before commit
        assert Notification.objects.filter(pk=made.pk, recipient=rep).exists()
    assert len(pushed) == 1
    push = pushed[0]
    assert push["user_id"] == rep.pk and push["schema"] == alpha.schema
    assert {k: push[k] for k in ("id", "kind", "title", "url", "unread_count")} == {
        "id": made.pk, "kind": "lead.assigned", "title": "Hi", "url": "/x/", "unread_count": 1,
    }  # fmt: skip
    assert push["created_at"] and push["body"] == ""


def test_commit_outside_the_workspace_schema_still_pushes_to_it(
    alpha, people, pushed, django_capture_on_commit_callbacks
):
    # The outermost block may end after schema_context has switched back to public.
    rep = people["rep"]
    with django_capture_on_commit_callbacks(execute=True), schema_context(alpha.schema):
        made = notification_send(user_id=rep.pk, kind="task.due", title="Later")
    assert [(p["id"], p["schema"], p["unread_count"]) for p in pushed] == [
        (made.pk, alpha.schema, 1)
    ]
    with schema_context(alpha.schema):
        assert Notification.objects.filter(pk=made.pk).exists()  # transaction still usable


def test_rolled_back_send_is_neither_stored_nor_pushed(
    alpha, people, pushed, django_capture_on_commit_callbacks
):
    rep = people["rep"]
    with schema_context(alpha.schema), django_capture_on_commit_callbacks(execute=True):
        with pytest.raises(RuntimeError), transaction.atomic():
            notification_send(user_id=rep.pk, kind="lead.assigned", title="Gone")
            raise RuntimeError("the caller's write failed")
        assert not Notification.objects.filter(title="Gone").exists()
    assert pushed == []


def test_push_reaches_the_users_group_on_the_real_channel_layer(
    alpha, people, django_capture_on_commit_callbacks
):
    rep = people["rep"]
    layer = get_channel_layer()
    channel = async_to_sync(layer.new_channel)()
    group = user_group_name(schema_name=alpha.schema, user_id=rep.pk)
    async_to_sync(layer.group_add)(group, channel)
    try:
        with schema_context(alpha.schema), django_capture_on_commit_callbacks(execute=True):
            made = notification_send(user_id=rep.pk, kind="task.due", title="Call back")
        message = async_to_sync(layer.receive)(channel)
    finally:
        async_to_sync(layer.group_discard)(group, channel)
    assert message["type"] == "notify"
    assert message["payload"]["id"] == made.pk and message["payload"]["title"] == "Call back"


def test_mark_read_and_mark_all_read(alpha, people, pushed):
    rep, boss = people["rep"], people["manager"]
    with schema_context(alpha.schema):
        first = notification_send(user_id=rep.pk, kind="task.due", title="one")
        notification_send(user_id=rep.pk, kind="task.due", title="two")
        notification_send(user_id=boss.pk, kind="task.due", title="boss's")
        assert notification_unread_count(user_id=rep.pk) == 2
        assert notification_mark_read(user_id=rep.pk, notification_id=first.pk).read_at
        assert notification_unread_count(user_id=rep.pk) == 1
        # someone else's notification is not theirs to mark
        assert notification_mark_read(user_id=boss.pk, notification_id=first.pk) is None
        assert notification_mark_all_read(user_id=rep.pk) == 1
        assert notification_unread_count(user_id=rep.pk) == 0
        assert notification_unread_count(user_id=boss.pk) == 1
        assert [n.title for n in notification_list(user_id=rep.pk)] == ["two", "one"]


def test_list_and_count_take_one_query_each(alpha, people, pushed):
    rep = people["rep"]
    with schema_context(alpha.schema):
        for i in range(5):
            notification_send(user_id=rep.pk, kind="task.due", title=f"n{i}")
        with CaptureQueriesContext(connection) as queries:
            assert len(list(notification_list(user_id=rep.pk))) == 5
            assert notification_unread_count(user_id=rep.pk) == 5
    # django-tenants may add a SET search_path; the reads themselves are one query each
    reads = [q for q in queries.captured_queries if not q["sql"].startswith("SET")]
    assert len(reads) == 2


def test_dedupe_is_once_per_object_and_person(alpha, people, pushed):
    rep, boss = people["rep"], people["manager"]
    with schema_context(alpha.schema):
        first = notification_send(user_id=rep.pk, kind="task.due", title="Due", object_id=7,
                                  dedupe=True)  # fmt: skip
        again = notification_send(user_id=rep.pk, kind="task.due", title="Due", object_id=7,
                                  dedupe=True)  # fmt: skip
        other = notification_send(user_id=boss.pk, kind="task.due", title="Due", object_id=7,
                                  dedupe=True)  # fmt: skip
        assert first is not None and again is None and other is not None
        assert Notification.objects.filter(kind="task.due", object_id=7).count() == 2
