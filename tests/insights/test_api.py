"""/api/v1/activities/{id}/insights: read, compute, action item → task; errors as
problem+json, scopes, who may act, isolation between workspaces, the OpenAPI schema."""

from __future__ import annotations

from django_tenants.utils import schema_context

from crm.activities.models import Activity, Task
from intelligence.insights.models import ActivityInsight

from ..api.conftest import ApiClient, api, beta_api, client_for, make_key  # noqa: F401
from .conftest import log_call

JSON = "application/json"


def insights_url(activity_id: int) -> str:
    return f"/api/v1/activities/{activity_id}/insights"


def task_url(activity_id: int, index: int) -> str:
    return f"{insights_url(activity_id)}/action-items/{index}/task"


def _problem(response, status: int) -> dict:
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith("application/problem+json")
    body = response.json()
    assert body["status"] == status and body["detail"]
    return body


def test_post_computes_and_get_reads_the_insight(alpha, team, api):  # noqa: F811
    rep, *_ = team
    activity = log_call(alpha, rep)
    url = insights_url(activity.pk)
    missing = _problem(api.get(url), 404)
    assert missing["type"] == "urn:lodestar:problem:not_analysed"
    assert "has not been analysed" in missing["detail"]

    response = api.post(url)
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["activity_id"] == activity.pk and body["source"] == "call"
    assert body["engine"] == "Built-in engine"  # no AI provider configured: no network
    assert body["summary"] and body["computed_at"]
    assert any("written quote" in item["text"] for item in body["action_items"])
    assert all(item["task_id"] is None for item in body["action_items"])
    assert {"price", "authority"} <= {o["category"] for o in body["objections"]}
    assert "roof" in body["topics"]
    assert body["sentiment"] > 0 and body["sentiment_arc"] and body["coaching_tips"]
    assert body["competitors"] == [] and "usage_id" in body

    read = api.get(url)
    assert read.status_code == 200 and read.json() == body
    again = api.post(url).json()  # recompute: replaced, still one row
    assert again["summary"] == body["summary"]
    with schema_context(alpha.schema):
        assert ActivityInsight.objects.filter(activity=activity).count() == 1


def test_unknown_activity_is_404(alpha, api):  # noqa: F811
    for response in (
        api.get(insights_url(999999)),
        api.post(insights_url(999999)),
        api.post(task_url(999999, 0)),
    ):
        assert "No activity 999999" in _problem(response, 404)["detail"]


def test_not_enough_text_is_400(alpha, team, api):  # noqa: F811
    rep, *_ = team
    activity = log_call(alpha, rep, text="Voicemail.")
    problem = _problem(api.post(insights_url(activity.pk)), 400)
    assert problem["type"] == "urn:lodestar:problem:not_enough_text"
    assert "not enough text" in problem["detail"]
    with schema_context(alpha.schema):
        assert not ActivityInsight.objects.exists()
    assert _problem(api.get(insights_url(activity.pk)), 404)["type"].endswith("not_analysed")


def test_action_item_becomes_a_task(alpha, team):
    rep, manager, other = team
    activity = log_call(alpha, rep)
    client = alpha.logged_in_client(rep)
    # Not analysed yet: nothing to turn into a task.
    assert _problem(client.post(task_url(activity.pk, 0), content_type=JSON), 404)["type"].endswith(
        "not_analysed"
    )
    body = client.post(insights_url(activity.pk), content_type=JSON).json()
    index = next(i for i, item in enumerate(body["action_items"]) if "quote" in item["text"])

    response = client.post(task_url(activity.pk, index), content_type=JSON)
    assert response.status_code == 201, response.content
    created = response.json()
    assert created["index"] == index and "written quote" in created["text"]
    with schema_context(alpha.schema):
        task = Task.objects.get(pk=created["task_id"])
        assert task.lead_id == activity.lead_id and task.assignee_id == rep.pk
        assert task.due_at is not None
    read = client.get(insights_url(activity.pk)).json()
    assert read["action_items"][index]["task_id"] == created["task_id"]

    # Once per item; a bad index is a 400 with the field named.
    again = _problem(client.post(task_url(activity.pk, index), content_type=JSON), 400)
    assert "already a task" in again["errors"]["index"][0]
    bad = _problem(client.post(task_url(activity.pk, 99), content_type=JSON), 400)
    assert "No action item #99" in bad["errors"]["index"][0]
    unknown_field = client.post(task_url(activity.pk, 0), {"due": 3}, content_type=JSON)
    assert "due" in _problem(unknown_field, 400)["errors"]
    # Only the record's owner or a manager; a manager may, with no due date.
    stranger = alpha.logged_in_client(other).post(task_url(activity.pk, 0), content_type=JSON)
    assert _problem(stranger, 403)
    other_index = next(i for i in range(len(body["action_items"])) if i != index)
    by_manager = alpha.logged_in_client(manager).post(
        task_url(activity.pk, other_index), {"due_in_days": None}, content_type=JSON
    )
    assert by_manager.status_code == 201, by_manager.content
    with schema_context(alpha.schema):
        assert Task.objects.get(pk=by_manager.json()["task_id"]).due_at is None
        assert Task.objects.filter(lead_id=activity.lead_id).count() == 2


def test_an_api_key_creates_a_task_assigned_to_the_records_owner(alpha, team, api):  # noqa: F811
    rep, *_ = team
    activity = log_call(alpha, rep)
    body = api.post(insights_url(activity.pk)).json()
    assert body["action_items"]
    response = api.post(task_url(activity.pk, 0))
    assert response.status_code == 201, response.content
    with schema_context(alpha.schema):
        task = Task.objects.get(pk=response.json()["task_id"])
        assert task.lead_id == activity.lead_id and task.assignee_id == rep.pk
    again = _problem(api.post(task_url(activity.pk, 0)), 400)
    assert "already a task" in again["errors"]["index"][0]


def test_scopes(alpha, team, client_for):  # noqa: F811
    rep, *_ = team
    activity = log_call(alpha, rep)
    writer = client_for(alpha, ["activities:write"])
    reader = client_for(alpha, ["activities:read"])
    unrelated = client_for(alpha, ["leads:write"])
    assert writer.post(insights_url(activity.pk)).status_code == 200
    assert reader.get(insights_url(activity.pk)).status_code == 200
    for response in (reader.post(insights_url(activity.pk)), reader.post(task_url(activity.pk, 0))):
        assert '"activities:write"' in _problem(response, 403)["detail"]
    assert '"activities:read"' in _problem(unrelated.get(insights_url(activity.pk)), 403)["detail"]
    anonymous = ApiClient(host=alpha.host, secret=None).get(insights_url(activity.pk))
    assert anonymous.status_code in (401, 403)


def test_session_members_read_but_only_owner_or_manager_analyse(alpha, team):
    rep, manager, other = team
    activity = log_call(alpha, rep)
    url = insights_url(activity.pk)
    assert _problem(alpha.logged_in_client(other).post(url, content_type=JSON), 403)
    assert alpha.logged_in_client(manager).post(url, content_type=JSON).status_code == 200
    assert alpha.logged_in_client(other).get(url).status_code == 200


def test_another_workspace_cannot_read_or_compute(alpha, beta, team, api, beta_api):  # noqa: F811
    rep, *_ = team
    activity = log_call(alpha, rep)
    assert api.post(insights_url(activity.pk)).status_code == 200
    with schema_context(beta.schema):
        assert not Activity.objects.filter(pk=activity.pk).exists()
    assert _problem(beta_api.get(insights_url(activity.pk)), 404)
    assert _problem(beta_api.post(insights_url(activity.pk)), 404)
    with schema_context(beta.schema):
        assert not ActivityInsight.objects.exists()
    # A beta key on alpha's host is not a key there.
    beta_secret = beta_api.defaults["HTTP_AUTHORIZATION"].removeprefix("Bearer ")
    beta_key_on_alpha = ApiClient(host=alpha.host, secret=beta_secret)
    assert beta_key_on_alpha.get(insights_url(activity.pk)).status_code in (401, 403)


def test_schema_lists_the_insight_endpoints(alpha):
    schema = alpha.client().get("/api/schema/?format=json").json()
    paths = schema["paths"]
    insights = paths["/api/v1/activities/{id}/insights"]
    assert {"get", "post"} <= set(insights)
    assert insights["get"]["operationId"] == "activities_insights_retrieve"
    task = paths["/api/v1/activities/{id}/insights/action-items/{index}/task"]
    assert "201" in task["post"]["responses"]
