"""Conversation insights: the built-in engine on a realistic call, structured answers from
stubbed providers, competitor alerts, action items → tasks, isolation."""

from __future__ import annotations

import json

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django_tenants.utils import schema_context

from crm.activities.models import Activity, Task
from crm.activities.services import activity_log
from crm.audit.models import AuditEvent
from crm.notifications.models import Notification
from crm.team.models import Role
from intelligence.ai.builtin import sentences
from intelligence.ai.models import ProviderKind
from intelligence.insights.models import ActivityInsight, Competitor
from intelligence.insights.selectors import insights_for_activities
from intelligence.insights.services import (
    activity_insight_compute,
    competitor_create,
    insight_action_task_create,
)
from tests.ai.conftest import (
    ANTHROPIC,
    OPENAI,
    anthropic_tool,
    configure,
    make_provider,
    openai_text,
)

from .conftest import TRANSCRIPT, log_call, make_lead


def test_builtin_insights_on_a_realisticlog_call(alpha, team):
    rep, manager, _ = team
    with schema_context(alpha.schema):
        competitor_create(name="RoofCo", aliases="Roof Co")
    activity = log_call(alpha, rep)
    with schema_context(alpha.schema):
        insight = activity_insight_compute(activity_id=activity.pk)
        assert insight.engine == "Built-in engine"
        # Extractive: every summary sentence is a sentence of the call.
        assert insight.summary
        said = sentences(TRANSCRIPT.replace("Rep: ", "").replace("Maria: ", ""))
        assert all(part in said for part in sentences(insight.summary))
        texts = [i["text"] for i in insight.action_items]
        assert any("written quote" in t for t in texts)
        assert all(not t.endswith("?") for t in texts)
        categories = {o["category"] for o in insight.objections}
        assert {"price", "authority"} <= categories
        assert "roof" in insight.topics
        assert [c["competitor"] for c in insight.competitors] == ["RoofCo"]
        assert insight.sentiment is not None and insight.sentiment > 0  # ends warmly
        assert insight.stats["labelled"] and 0 < insight.stats["rep_talk_share"] < 1
        assert any("price objection" in tip for tip in insight.coaching_tips)
        assert any("RoofCo" in tip for tip in insight.coaching_tips)
        # The manager hears about the competitor, once, with a link to the insight.
        alerts = Notification.objects.filter(kind="insight.competitor")
        assert [n.recipient_id for n in alerts] == [manager.pk]
        assert "RoofCo" in alerts[0].title and alerts[0].url.endswith(f"/{activity.pk}/")
        activity_insight_compute(activity_id=activity.pk)  # re-run: replaced, no new alert
        assert ActivityInsight.objects.filter(activity=activity).count() == 1
        assert Notification.objects.filter(kind="insight.competitor").count() == 1


def test_negative_call_has_negative_sentiment_and_missing_next_step_tip(alpha, team):
    rep, *_ = team
    text = (
        "Rep: Hi, calling about the kitchen remodel quote.\n"
        "Customer: I am really unhappy. The crew was late twice and the estimate was wrong.\n"
        "Rep: Sorry to hear that.\nCustomer: Frankly this has been a terrible, frustrating "
        "experience and I am disappointed."
    )
    activity = log_call(alpha, rep, text=text)
    with schema_context(alpha.schema):
        insight = activity_insight_compute(activity_id=activity.pk)
    assert insight.sentiment < 0
    assert any("Pricing was discussed without a follow-up" in t for t in insight.coaching_tips)
    assert insight.competitors == []


def test_too_little_text_is_not_analysed(alpha, team):
    rep, *_ = team
    activity = log_call(alpha, rep, text="Voicemail.")
    with schema_context(alpha.schema):
        assert activity_insight_compute(activity_id=activity.pk) is None
        assert not ActivityInsight.objects.exists()


def test_logged_call_is_analysed_after_commit(
    alpha, team, django_capture_on_commit_callbacks, eager_celery
):
    rep, *_ = team
    lead = make_lead(alpha, owner=rep)
    with schema_context(alpha.schema), django_capture_on_commit_callbacks(execute=True):
        long_call = activity_log(kind="call", lead=lead, body=TRANSCRIPT, actor=rep)
        short = activity_log(kind="call", lead=lead, body="Left a voicemail.", actor=rep)
        sms = activity_log(kind="sms", lead=lead, body=TRANSCRIPT, direction="inbound")
    with schema_context(alpha.schema):
        assert ActivityInsight.objects.filter(activity=long_call).exists()
        assert not ActivityInsight.objects.filter(activity_id__in=[short.pk, sms.pk]).exists()


def test_message_thread_is_read_in_order(alpha, team):
    rep, *_ = team
    lead = make_lead(alpha, owner=rep)
    with schema_context(alpha.schema):
        activity_log(kind="sms", lead=lead, body="Hi, is the house on Elm still for sale?",
                     direction="inbound")  # fmt: skip
        activity_log(kind="sms", lead=lead, body="Yes! I will send you the listing today.",
                     direction="outbound", actor=rep)  # fmt: skip
        last = activity_log(kind="sms", lead=lead, body="Great, thanks a lot.",
                            direction="inbound")  # fmt: skip
        insight = activity_insight_compute(activity_id=last.pk)
    assert insight.source == "thread"
    assert any("send you the listing" in i["text"] for i in insight.action_items)


GOOD = {
    "summary": "Maria has a kitchen leak; price and her husband are the blockers.",
    "action_items": ["Send the written quote with financing by Friday"],
    "topics": ["roof", "financing"],
    "objections": [{"category": "price", "quote": "the price is too high for us right now"}],
    "competitor_mentions": [
        {"competitor": "roofco", "quote": "RoofCo quoted me a lot less"},
        {"competitor": "Invented Inc", "quote": "made up"},
    ],
    "coaching_tips": ["Anchor on the leak's cost before the price."],
}


def test_structured_answer_from_claude_is_validated_and_kept(alpha, team, stub):
    rep, *_ = team
    activity = log_call(alpha, rep)
    with schema_context(alpha.schema):
        Competitor.objects.create(name="RoofCo")
        configure(primary=make_provider())
        stub.queue(ANTHROPIC, anthropic_tool(GOOD, name="ConversationInsightOut"))
        insight = activity_insight_compute(activity_id=activity.pk)
    assert insight.engine == "Claude (claude-sonnet-4-6)"
    assert insight.summary == GOOD["summary"]
    assert insight.action_items == [{"text": GOOD["action_items"][0], "task_id": None}]
    # Only listed competitors survive, under the list's spelling.
    assert [c["competitor"] for c in insight.competitors] == ["RoofCo"]
    assert "Anchor on the leak's cost before the price." in insight.coaching_tips
    body = stub.bodies(ANTHROPIC)[0]
    assert "RoofCo" in body["messages"][0]["content"]


def test_invalid_structured_answer_falls_back_to_builtin(alpha, team, stub):
    rep, *_ = team
    activity = log_call(alpha, rep)
    bad = {"summary": "", "objections": [{"category": "weather", "quote": "x"}]}
    with schema_context(alpha.schema):
        configure(primary=make_provider(kind=ProviderKind.OPENAI, model="gpt-5-mini"))
        stub.queue(OPENAI, openai_text(json.dumps(bad)), openai_text(json.dumps(bad)))
        insight = activity_insight_compute(activity_id=activity.pk)
    assert stub.count(OPENAI) == 2  # retried once
    assert insight.engine == "Built-in engine"
    assert insight.summary and insight.action_items


def test_action_item_becomes_a_task_once(alpha, team):
    rep, manager, other = team
    activity = log_call(alpha, rep)
    with schema_context(alpha.schema):
        insight = activity_insight_compute(activity_id=activity.pk)
        index = next(i for i, item in enumerate(insight.action_items) if "quote" in item["text"])
        with pytest.raises(PermissionDenied):
            insight_action_task_create(insight=insight, index=index, actor=other)
        with pytest.raises(ValidationError, match="No action item #99"):
            insight_action_task_create(insight=insight, index=99, actor=rep)
        assert not Task.objects.exists()
        task = insight_action_task_create(insight=insight, index=index, actor=manager)
        assert task.lead_id == activity.lead_id and task.assignee_id == rep.pk
        assert "written quote" in task.title and task.due_at is not None
        insight.refresh_from_db()
        assert insight.action_items[index]["task_id"] == task.pk
        with pytest.raises(ValidationError, match="already a task"):
            insight_action_task_create(insight=insight, index=index, actor=rep)
        assert Task.objects.count() == 1
        audit = AuditEvent.objects.get(
            entity_type="task", entity_id=task.pk, field="ai.insight_task"
        )
        assert audit.new_value["engine"] == "Built-in engine"
        # Re-running the analysis keeps the link to the task.
        insight = activity_insight_compute(activity_id=activity.pk)
        assert insight.action_items[index]["task_id"] == task.pk


def test_views_detail_run_and_create_task(alpha, team):
    rep, _, other = team
    activity = log_call(alpha, rep)
    client = alpha.logged_in_client(rep)
    base = f"/conversation-insights/activities/{activity.pk}/"
    assert "not been analysed" in client.get(base).content.decode()
    assert alpha.logged_in_client(other).post(base + "run/").status_code == 403
    response = client.post(base + "run/", HTTP_HX_REQUEST="true")
    assert response.status_code == 200 and "Create task" in response.content.decode()
    assert client.post(base + "actions/42/task/", HTTP_HX_REQUEST="true").status_code == 422
    assert alpha.logged_in_client(other).post(base + "actions/0/task/").status_code == 403
    response = client.post(base + "actions/0/task/", HTTP_HX_REQUEST="true")
    assert response.status_code == 200 and "Task created" in response.content.decode()
    with schema_context(alpha.schema):
        assert Task.objects.filter(lead_id=activity.lead_id).count() == 1
    assert client.get("/conversation-insights/activities/999999/").status_code == 404


def test_timeline_tag_loads_all_insights_in_one_query(alpha, team):
    from django.db import connection
    from django.template import Context, Template
    from django.test.utils import CaptureQueriesContext

    rep, *_ = team
    calls = [log_call(alpha, rep) for _ in range(3)]
    with schema_context(alpha.schema):
        for call in calls[:2]:
            activity_insight_compute(activity_id=call.pk)
        timeline = [("activity", Activity.objects.get(pk=c.pk)) for c in calls]
        template = Template(
            "{% load insight_tags %}{% for kind, row in timeline %}"
            "{% activity_insight row timeline %}{% endfor %}"
        )
        with CaptureQueriesContext(connection) as queries:
            html = template.render(Context({"timeline": timeline}))
    # One query for the page's insights (django-tenants may add its search_path SET).
    sql = [q["sql"] for q in queries.captured_queries if "SET search_path" not in q["sql"]]
    assert len(sql) == 1 and "activityinsight" in sql[0]
    assert html.count("Insights</span>") == 2
    assert html.count("Analyse this conversation") == 1


def test_isolation_between_workspaces(alpha, beta, team):
    rep, *_ = team
    with schema_context(alpha.schema):
        competitor_create(name="RoofCo")
    activity = log_call(alpha, rep)
    with schema_context(alpha.schema):
        activity_insight_compute(activity_id=activity.pk)
    with schema_context(beta.schema):
        assert not Competitor.objects.exists()
        assert not ActivityInsight.objects.exists()
        assert insights_for_activities(activity_ids=[activity.pk]) == {}
        competitor_create(name="RoofCo")  # the same name is free in another workspace
    beta_user = beta.make_user(email="boss@beta.test", role=Role.MANAGER)
    url = f"/conversation-insights/activities/{activity.pk}/"
    assert beta.logged_in_client(beta_user).get(url).status_code == 404


def test_competitor_names_are_unique_and_required(alpha):
    with schema_context(alpha.schema):
        competitor_create(name="RoofCo")
        with pytest.raises(ValidationError, match="already on the list"):
            competitor_create(name="roofco")
        with pytest.raises(ValidationError):
            competitor_create(name="  ")
        assert Competitor.objects.count() == 1
