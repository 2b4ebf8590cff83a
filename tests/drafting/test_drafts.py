"""Drafts grounded in the record, by the built-in engine and by stubbed providers."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django_tenants.utils import schema_context

from crm.audit.models import AuditEvent
from intelligence.ai.models import AIUsage, ProviderKind
from intelligence.language.drafting import (
    PURPOSES,
    TONES,
    draft_approve,
    draft_discard,
    draft_write,
    reply_suggestions,
    subject_variants,
)
from intelligence.language.drafting_builtin import OPT_OUT_LINE
from intelligence.language.drafting_facts import draft_record_get

from ..ai.conftest import (
    ANTHROPIC,
    OPENAI,
    anthropic_text,
    anthropic_tool,
    configure,
    make_provider,
    openai_text,
)
from .conftest import make_records

pytestmark = pytest.mark.django_db


def test_sms_is_grounded_in_the_lead(alpha, rep, records):
    with schema_context(alpha.schema):
        draft = draft_write(
            record=records["lead"],
            user=rep,
            channel="sms",
            purpose="answer_question",
            tone="friendly",
        )
    assert draft.engine == "Built-in engine"
    assert "Dana" in draft.text
    assert "Can you do the inspection on Saturday?" in draft.text
    assert draft.segments.segments in (1, 2)


def test_email_names_company_stage_and_amount(alpha, rep, records):
    with schema_context(alpha.schema):
        draft = draft_write(
            record=records["deal"], user=rep, channel="email", purpose="send_quote", tone="formal"
        )
    assert "Dana Reyes" in draft.text
    assert "Reyes Roofing" in draft.text
    assert "Proposal sent" in draft.text
    assert "$12,500" in draft.text
    assert draft.segments is None
    assert OPT_OUT_LINE not in draft.text


@pytest.mark.parametrize("purpose", list(PURPOSES))
def test_every_sms_fits_two_segments_with_its_opt_out_line(alpha, rep, records, purpose):
    with schema_context(alpha.schema):
        for tone in TONES:
            for kind in ("lead", "contact", "deal"):
                draft = draft_write(
                    record=records[kind], user=rep, channel="sms", purpose=purpose, tone=tone
                )
                assert 1 <= draft.segments.segments <= 2, draft.text
                assert draft.text.endswith(OPT_OUT_LINE)


def test_a_long_unicode_name_still_keeps_two_segments(alpha, rep):
    with schema_context(alpha.schema):
        made = make_records(
            owner=rep,
            first_name="Zoë-Maëlle",
            company="Ünïcode Ltd",
            question="¿Pueden venir el sábado por la mañana o el domingo?",
        )
        draft = draft_write(
            record=made["lead"], user=rep, channel="sms", purpose="answer_question", tone="formal"
        )
    assert draft.segments.encoding == "UCS-2"
    assert draft.segments.segments <= 2


def test_tones_read_differently(alpha, rep, records):
    with schema_context(alpha.schema):
        texts = {
            tone: draft_write(
                record=records["lead"], user=rep, channel="email", purpose="book_meeting", tone=tone
            ).text
            for tone in TONES
        }
    assert len(set(texts.values())) == 3
    assert texts["formal"].startswith(("Dear Dana Reyes", "Hello Dana Reyes"))
    assert texts["casual"].startswith(("Hey", "Hi Dana!"))
    assert "regards" in texts["formal"].lower()
    assert "regards" not in texts["casual"].lower()


def test_drafts_are_deterministic_and_vary_across_records(alpha, rep):
    with schema_context(alpha.schema):
        made = [make_records(owner=rep, first_name=f"Person{i}") for i in range(6)]
        first = [
            draft_write(
                record=m["lead"], user=rep, channel="sms", purpose="follow_up", tone="friendly"
            ).text
            for m in made
        ]
        again = [
            draft_write(
                record=m["lead"], user=rep, channel="sms", purpose="follow_up", tone="friendly"
            ).text
            for m in made
        ]
    assert first == again
    stripped = {t.replace(f"Person{i}", "X") for i, t in enumerate(first)}
    assert len(stripped) > 1  # not one fixed sentence


def test_opt_out_line_only_on_a_first_sms(alpha, rep):
    with schema_context(alpha.schema):
        fresh = make_records(owner=rep)
        texted = make_records(owner=rep, first_name="Lee", outbound_sms=True)
        first = draft_write(
            record=fresh["lead"], user=rep, channel="sms", purpose="follow_up", tone="casual"
        )
        later = draft_write(
            record=texted["lead"], user=rep, channel="sms", purpose="follow_up", tone="casual"
        )
    assert first.text.endswith(OPT_OUT_LINE)
    assert "STOP" not in later.text


def test_nothing_from_another_workspace(alpha, beta, rep, records):
    beta_rep = beta.make_user(email="rep.draft@beta.test")
    with schema_context(beta.schema):
        other = make_records(
            owner=beta_rep,
            first_name="Bianca",
            company="Beta Builders",
            question="What about the gutters?",
        )
    with schema_context(alpha.schema):
        draft = draft_write(
            record=records["lead"],
            user=rep,
            channel="email",
            purpose="answer_question",
            tone="friendly",
        )
        with pytest.raises(ValidationError):  # beta's id means nothing in alpha
            draft_record_get(record_type="lead", record_id=other["lead"].pk + 10_000, user=rep)
    for word in ("Bianca", "Beta Builders", "gutters"):
        assert word not in draft.text


def test_rep_cannot_draft_on_someone_elses_lead(alpha, rep, records):
    other = alpha.make_user(email="other.rep@alpha.test")
    manager = alpha.make_user(email="mgr.draft@alpha.test", role="manager")
    with schema_context(alpha.schema):
        with pytest.raises(PermissionDenied):
            draft_record_get(record_type="lead", record_id=records["lead"].pk, user=other)
        assert draft_record_get(record_type="lead", record_id=records["lead"].pk, user=manager)


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"channel": "fax"}, "channel"),
        ({"purpose": "spam"}, "purpose"),
        ({"tone": "angry"}, "tone"),
    ],
)
def test_bad_options_are_refused_by_name(alpha, rep, records, changes, field):
    options = {"channel": "sms", "purpose": "follow_up", "tone": "friendly", **changes}
    with schema_context(alpha.schema), pytest.raises(ValidationError) as refused:
        draft_write(record=records["lead"], user=rep, **options)
    assert field in refused.value.message_dict
    with schema_context(alpha.schema):
        assert not AIUsage.objects.filter(feature="drafting").exists()


# --- providers ------------------------------------------------------------------------------


def test_anthropic_sms_gets_the_opt_out_line_appended(alpha, rep, records, stub):
    stub.queue(ANTHROPIC, anthropic_text("Hi Dana, Saturday at 10 works. - Sam"))
    with schema_context(alpha.schema):
        configure(primary=make_provider())
        draft = draft_write(
            record=records["lead"],
            user=rep,
            channel="sms",
            purpose="answer_question",
            tone="friendly",
        )
    assert draft.engine.startswith("Claude")
    assert draft.text == f"Hi Dana, Saturday at 10 works. - Sam\n{OPT_OUT_LINE}"
    sent = stub.bodies(ANTHROPIC)[0]
    prompt = sent["messages"][0]["content"]
    prompt = prompt if isinstance(prompt, str) else prompt[0]["text"]
    assert "Reyes Roofing" in prompt and "inspection on Saturday" in prompt


def test_structured_replies_from_anthropic(alpha, rep, records, stub):
    replies = ["Saturday 10am works!", "Could we do Sunday instead?", "Let me check and confirm."]
    stub.queue(ANTHROPIC, anthropic_tool({"replies": replies}))
    with schema_context(alpha.schema):
        configure(primary=make_provider())
        result = reply_suggestions(
            message="Can you come Saturday?", record=records["lead"], user=rep
        )
    assert result.data == {"replies": replies}
    assert result.engine.startswith("Claude")


def test_invalid_replies_are_retried_then_the_builtin_answers(alpha, rep, records, stub):
    stub.queue(
        ANTHROPIC, anthropic_tool({"replies": ["only one"]}), anthropic_tool({"replies": []})
    )
    with schema_context(alpha.schema):
        configure(primary=make_provider())
        result = reply_suggestions(
            message="Can you come Saturday?", record=records["lead"], user=rep
        )
    assert result.engine == "Built-in engine"
    assert result.fallback_reason == "invalid_output"
    assert len(result.data["replies"]) == 3
    assert stub.count(ANTHROPIC) == 2


def test_structured_subjects_from_openai_and_fallback(alpha, rep, records, stub):
    good = {"subjects": ["Your roof quote", "Quote for Dana", "Next steps on the roof"]}
    import json

    stub.queue(OPENAI, openai_text(json.dumps(good)))
    with schema_context(alpha.schema):
        configure(primary=make_provider(kind=ProviderKind.OPENAI, model="gpt-5-mini"))
        result = subject_variants(record=records["deal"], user=rep, purpose="send_quote")
        assert result.data == good
        stub.queue(OPENAI, openai_text('{"subjects": []}'), openai_text("not json"))
        fallback = subject_variants(record=records["deal"], user=rep, purpose="send_quote")
    assert fallback.engine == "Built-in engine"
    assert 3 <= len(fallback.data["subjects"]) <= 5
    assert any("Reyes roof replacement" in s for s in fallback.data["subjects"])


def test_builtin_replies_follow_the_intent(alpha, rep, records):
    with schema_context(alpha.schema):
        stop = reply_suggestions(message="STOP", record=records["lead"], user=rep)
        meet = reply_suggestions(
            message="Can we meet tomorrow at 3pm?", record=records["lead"], user=rep
        )
    assert len(stop.data["replies"]) == 3 and len(meet.data["replies"]) == 3
    assert any("unsubscribed" in r or "won't" in r for r in stop.data["replies"])
    assert stop.data != meet.data
    with schema_context(alpha.schema), pytest.raises(ValidationError):
        reply_suggestions(message="   ", record=records["lead"], user=rep)


# --- approve / discard ----------------------------------------------------------------------


def _history(record, field):
    return AuditEvent.objects.filter(
        entity_type=record._meta.model_name, entity_id=record.pk, field=field
    )


def test_approve_as_written_is_accepted_and_audited(alpha, rep, records):
    lead = records["lead"]
    with schema_context(alpha.schema):
        draft = draft_write(
            record=lead, user=rep, channel="sms", purpose="follow_up", tone="friendly"
        )
        decision = draft_approve(usage_id=draft.usage_id, text=draft.text + "  ", user=rep)
        assert decision.outcome == "accepted"
        assert AIUsage.objects.get(pk=draft.usage_id).outcome == "accepted"
        event = _history(lead, "ai.draft_approved").get()
        assert event.new_value["engine"] == "Built-in engine"
        text_event = _history(lead, "ai.draft_text").get()
        assert text_event.old_value == draft.text
        with pytest.raises(ValidationError):  # decided once
            draft_discard(usage_id=draft.usage_id, user=rep)


def test_approve_after_an_edit_is_edited(alpha, rep, records):
    with schema_context(alpha.schema):
        draft = draft_write(
            record=records["deal"], user=rep, channel="email", purpose="book_meeting", tone="formal"
        )
        decision = draft_approve(
            usage_id=draft.usage_id,
            text=draft.text + "\nP.S. Tuesday?",
            user=rep,
            subject="Meeting",
        )
        assert decision.outcome == "edited"
        event = _history(records["deal"], "ai.draft_text").get()
        assert event.new_value["text"].endswith("P.S. Tuesday?")
        assert event.new_value["subject"] == "Meeting"


def test_discard_records_the_outcome_only(alpha, rep, records):
    with schema_context(alpha.schema):
        draft = draft_write(
            record=records["contact"], user=rep, channel="sms", purpose="re_engage", tone="casual"
        )
        draft_discard(usage_id=draft.usage_id, user=rep)
        assert AIUsage.objects.get(pk=draft.usage_id).outcome == "discarded"
        assert not _history(records["contact"], "ai.draft_approved").exists()


def test_approve_refuses_bad_input_and_other_reps(alpha, rep, records):
    other = alpha.make_user(email="nosy.rep@alpha.test")
    with schema_context(alpha.schema):
        draft = draft_write(
            record=records["lead"], user=rep, channel="sms", purpose="follow_up", tone="formal"
        )
        with pytest.raises(ValidationError):
            draft_approve(usage_id=draft.usage_id, text="   ", user=rep)
        with pytest.raises(ValidationError):
            draft_approve(usage_id="abc", text="hi", user=rep)
        with pytest.raises(ValidationError):
            draft_approve(usage_id=draft.usage_id + 999, text="hi", user=rep)
        with pytest.raises(PermissionDenied):
            draft_approve(usage_id=draft.usage_id, text="hi", user=other)
        assert AIUsage.objects.get(pk=draft.usage_id).outcome == "pending"


def test_approve_endpoint_and_isolation(alpha, beta, rep, records):
    with schema_context(alpha.schema):
        draft = draft_write(
            record=records["lead"], user=rep, channel="sms", purpose="follow_up", tone="formal"
        )
    beta_user = beta.make_user(email="rep.draft@beta.test")
    refused = beta.logged_in_client(beta_user).post(
        "/language/draft/approve", {"usage_id": draft.usage_id, "text": "x"}
    )
    assert refused.status_code == 422  # alpha's usage id does not exist in beta
    client = alpha.logged_in_client(rep)
    bad = client.post("/language/draft/approve", {"usage_id": draft.usage_id, "text": ""})
    assert bad.status_code == 422 and "empty" in bad.json()["message"]
    ok = client.post("/language/draft/approve", {"usage_id": draft.usage_id, "text": draft.text})
    assert ok.status_code == 200 and ok.json()["outcome"] == "accepted"


def test_page_subject_and_reply_endpoints(alpha, rep, records):
    client = alpha.logged_in_client(rep)
    page = client.get(f"/language/draft/?lead={records['lead'].pk}")
    assert page.status_code == 200
    assert b"data-draft-panel" in page.content and b"language/draft.js" in page.content
    subjects = client.post(
        "/language/draft/subjects",
        {"record_type": "deal", "record_id": records["deal"].pk, "purpose": "follow_up"},
    )
    assert subjects.status_code == 200 and 3 <= len(subjects.json()["subjects"]) <= 5
    replies = client.post(
        "/language/draft/replies", {"record_type": "lead", "record_id": records["lead"].pk}
    )
    assert replies.status_code == 200
    assert replies.json()["message"].endswith("inspection on Saturday?")
    assert len(replies.json()["replies"]) == 3
    other = alpha.logged_in_client(alpha.make_user(email="x.rep@alpha.test"))
    assert other.get(f"/language/draft/?lead={records['lead'].pk}").status_code == 403
    assert (
        other.post(
            "/language/draft/replies", {"record_type": "lead", "record_id": records["lead"].pk}
        ).status_code
        == 403
    )


def test_shipped_prompt_test_cases_pass_with_the_builtin_engine(alpha):
    from intelligence.ai.services import prompt_tests_run

    with schema_context(alpha.schema):
        outcomes = prompt_tests_run(key="drafting.sms")
    assert outcomes and all(o.passed for o in outcomes), outcomes
    assert "Dana" in outcomes[0].output and "roof replacement" in outcomes[0].output
