"""POST /api/v1/language/intent and /sentiment: good input, bad input (problem+json, 400),
scopes, and the session UI's one-click correction."""

from __future__ import annotations

import pytest
from django_tenants.utils import schema_context

from crm.activities.services import activity_log
from intelligence.language.models import IntentLabel, ReplyIntent
from intelligence.language.services import MAX_TEXT_LENGTH, reply_intent_store

from ..api.conftest import ApiClient, api, beta_api, client_for, make_key  # noqa: F401
from .conftest import make_contact

INTENT = "/api/v1/language/intent"
SENTIMENT = "/api/v1/language/sentiment"


def test_intent_endpoint(api):  # noqa: F811
    response = api.post(INTENT, {"text": "Please take me off your list"})
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["intent"] == "opt_out" and body["needs_confirmation"] is False
    assert body["engine"] == "rules" and body["confidence"] == 1.0 and body["reason"]
    question = api.post(INTENT, {"text": "Do you offer financing for the new roof?"}).json()
    assert question["intent"] == "question" and question["engine"] == "classifier"


def test_sentiment_endpoint(api):  # noqa: F811
    good = api.post(SENTIMENT, {"text": "Amazing work, thank you so much!"}).json()
    bad = api.post(SENTIMENT, {"text": "Terrible service, I am very angry"}).json()
    assert good["label"] == "positive" and good["score"] > 0.5 and good["engine"] == "vader"
    assert bad["label"] == "negative" and bad["score"] < -0.5


@pytest.mark.parametrize("path", [INTENT, SENTIMENT])
@pytest.mark.parametrize(
    "payload",
    [{}, {"text": ""}, {"text": "   "}, {"text": 42}, {"text": None}, {"text": ["STOP"]},
     {"text": "x" * (MAX_TEXT_LENGTH + 1)}, {"text": "ok", "extra": 1}],
)  # fmt: skip
def test_bad_input_is_a_problem(api, path, payload):  # noqa: F811
    response = api.post(path, payload)
    assert response.status_code == 400
    assert response["Content-Type"].startswith("application/problem+json")
    problem = response.json()
    assert problem["status"] == 400 and problem["errors"]


def test_not_json_is_refused(api):  # noqa: F811
    response = api.post(INTENT, "STOP", content_type="text/plain")
    assert response.status_code == 415


def test_scopes(alpha, client_for):  # noqa: F811
    reader = client_for(alpha, ["activities:read"])
    other = client_for(alpha, ["leads:read"])
    assert reader.post(INTENT, {"text": "STOP"}).status_code == 200
    assert other.post(INTENT, {"text": "STOP"}).status_code == 403
    assert ApiClient(host=alpha.host, secret=None).post(INTENT, {"text": "x"}).status_code in (
        401,
        403,
    )


def test_a_key_answers_with_its_own_workspace_corrections(alpha, beta, api, beta_api, owner_of):  # noqa: F811
    text = "Send the guy with the ladder"
    contact = make_contact(alpha)
    with schema_context(alpha.schema):
        reply = activity_log(contact=contact, kind="sms", direction="inbound", body=text)
        from intelligence.language.services import reply_intent_correct

        reply_intent_correct(activity=reply, intent="wrong_number", actor=owner_of(alpha))
    assert api.post(INTENT, {"text": text}).json()["intent"] == "wrong_number"
    assert beta_api.post(INTENT, {"text": text}).json()["engine"] == "classifier"


# --- the rep UI -------------------------------------------------------------------------------


def _reply_with_intent(ws, body):
    contact = make_contact(ws)
    with schema_context(ws.schema):
        activity = activity_log(contact=contact, kind="sms", direction="inbound", body=body)
        reply_intent_store(activity=activity, text=body)
    return contact, activity


def test_timeline_shows_intent_and_one_click_correction(alpha, beta, owner_of):
    contact, activity = _reply_with_intent(alpha, "stop wasting my time")
    client = alpha.logged_in_client(owner_of(alpha))
    page = client.get(f"/contacts/{contact.pk}/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "Possible opt-out" in html and "Reply intent:" in html and "Confirm opt-out" in html
    url = f"/language/activities/{activity.pk}/intent"
    response = client.post(url, {"intent": "not_interested"}, HTTP_HX_REQUEST="true")
    assert response.status_code == 200 and "Not interested" in response.content.decode()
    with schema_context(alpha.schema):
        reading = ReplyIntent.objects.get(activity=activity)
        assert reading.intent == "not_interested" and reading.corrected_by is not None
        assert IntentLabel.objects.filter(activity=activity, previous_intent="opt_out").exists()
    bad = client.post(url, {"intent": "nonsense"}, HTTP_HX_REQUEST="true")
    assert bad.status_code == 422 and "Unknown intent" in bad.content.decode()
    # Another workspace's member cannot reach this activity (different schema: 404).
    stranger = beta.logged_in_client(owner_of(beta))
    assert stranger.post(url, {"intent": "interested"}).status_code == 404


def test_timeline_sentiment_badge(alpha, owner_of):
    contact = make_contact(alpha)
    with schema_context(alpha.schema):
        note = activity_log(contact=contact, kind="note", body="Wonderful, happy customer")
        from crm.activities.services import activity_sentiment_store

        activity_sentiment_store(activity_id=note.pk, sentiment=0.8)
    html = alpha.logged_in_client(owner_of(alpha)).get(f"/contacts/{contact.pk}/").content.decode()
    assert '<span class="sr-only">Sentiment:</span> positive' in html


def test_correction_needs_a_signed_in_member(alpha):
    _, activity = _reply_with_intent(alpha, "ok")
    response = alpha.client().post(
        f"/language/activities/{activity.pk}/intent", {"intent": "unknown"}
    )
    assert response.status_code in (302, 403)
