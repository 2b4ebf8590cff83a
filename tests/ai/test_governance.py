"""Redaction before external providers, feature flags with a stable rollout, the audit trail."""

from __future__ import annotations

import json

import pytest
from django.core.exceptions import ValidationError

from crm.audit.models import AuditEvent
from crm.contacts.models import Contact
from intelligence.ai.governance import ai_feature_enabled, rollout_bucket
from intelligence.ai.models import AIFeature, AIUsage, Outcome
from intelligence.ai.redaction import Redactor
from intelligence.ai.services import ai_complete, ai_output_record, ai_usage_outcome_set

from .conftest import ANTHROPIC, anthropic_text, configure, make_provider

NOTE = (
    "Spoke with Maria (maria.lopez@example.com, +1 (407) 555-0142). Budget $12,000 "
    "for 2025. Her husband's cell is 407-555-0199; email maria.lopez@example.com again."
)


def _call(user=None, feature="summary"):
    return ai_complete(
        feature=feature,
        prompt_key="summary.text",
        user=user,
        variables={"text": NOTE, "max_sentences": 2},
    )


def test_redaction_on_keeps_emails_and_phones_out_of_the_request(in_alpha, stub):
    configure(primary=make_provider(), redact=True)
    stub.queue(ANTHROPIC, anthropic_text("Write to [email 1] or call [phone 2]."))

    result = _call()

    sent = json.dumps(stub.bodies(ANTHROPIC)[0])
    for secret in ("maria.lopez@example.com", "555-0142", "555-0199"):
        assert secret not in sent
    assert "[email 1]" in sent and "[phone 1]" in sent and "[phone 2]" in sent
    assert "$12,000" in sent and "2025" in sent  # amounts and years are not phones
    # The answer names the real values again.
    assert result.text == "Write to maria.lopez@example.com or call 407-555-0199."
    assert AIUsage.objects.get(pk=result.usage_id).redacted is True


def test_redaction_off_sends_the_text_as_is(in_alpha, stub):
    configure(primary=make_provider(), redact=False)
    stub.queue(ANTHROPIC, anthropic_text("ok"))
    result = _call()
    sent = json.dumps(stub.bodies(ANTHROPIC)[0])
    assert "maria.lopez@example.com" in sent and "+1 (407) 555-0142" in sent
    assert AIUsage.objects.get(pk=result.usage_id).redacted is False


def test_builtin_engine_sees_the_text_unredacted(in_alpha):
    configure(redact=True)  # no provider
    result = _call()
    assert "maria.lopez@example.com" in result.text
    assert AIUsage.objects.get(pk=result.usage_id).redacted is False


def test_redactor_round_trip():
    redactor = Redactor()
    text = "a@b.co, A@B.CO? no: a@b.co and +44 20 7946 0958"
    redacted = redactor.redact(text)
    assert redacted == "[email 1], [email 2]? no: [email 1] and [phone 1]"
    assert redactor.restore(redacted) == text


def test_rollout_is_stable_per_user_and_near_the_percentage(in_alpha, stub):
    AIFeature.objects.create(key="summary", rollout_percent=30)
    users = [in_alpha.make_user(email=f"u{i}@alpha.test") for i in range(60)]
    first = [ai_feature_enabled(feature="summary", user=u) for u in users]
    again = [ai_feature_enabled(feature="summary", user=u) for u in users]
    assert first == again
    buckets = [rollout_bucket(user_id=i, feature="summary") for i in range(2000)]
    share = sum(b < 30 for b in buckets) / len(buckets)
    assert 0.25 < share < 0.35
    # Another feature buckets users differently (not the same 30 % for everything).
    other = [rollout_bucket(user_id=i, feature="drafting") for i in range(2000)]
    assert buckets != other


def test_users_outside_the_rollout_get_the_builtin_engine(in_alpha, stub):
    configure(primary=make_provider())
    AIFeature.objects.create(key="summary", rollout_percent=50)
    users = [in_alpha.make_user(email=f"r{i}@alpha.test") for i in range(12)]
    inside = [u for u in users if rollout_bucket(user_id=u.pk, feature="summary") < 50]
    outside = [u for u in users if u not in inside]
    assert inside and outside
    stub.queue(ANTHROPIC, anthropic_text("LLM"))
    assert _call(inside[0]).engine.startswith("Claude")
    result = _call(outside[0])
    assert result.engine == "Built-in engine" and result.fallback_reason == "feature_off"


def test_disabled_and_builtin_only_features(in_alpha, stub):
    configure(primary=make_provider())
    flag = AIFeature.objects.create(key="summary", enabled=False)
    assert not ai_feature_enabled(feature="summary")
    assert _call().fallback_reason == "feature_off"
    flag.enabled, flag.builtin_only = True, True
    flag.save()
    assert _call().fallback_reason == "builtin_only"
    assert stub.requests == []


def test_feature_override_uses_its_own_provider(in_alpha, stub):
    from intelligence.ai.models import ProviderKind

    from .conftest import OPENAI, openai_text

    configure(primary=make_provider())
    AIFeature.objects.create(
        key="summary", primary=make_provider(kind=ProviderKind.OPENAI, model="gpt-5-mini")
    )
    stub.queue(OPENAI, openai_text("override"))
    assert _call().engine == "GPT-5-mini via OpenAI" and stub.count(ANTHROPIC) == 0


def test_output_on_the_record_history_and_outcome(in_alpha, stub):
    configure(primary=make_provider())
    stub.queue(ANTHROPIC, anthropic_text("Hi Maria!", tokens_in=300, tokens_out=40))
    rep = in_alpha.make_user(email="rep-audit@alpha.test")
    contact = Contact.objects.create(first_name="Maria")
    result = ai_complete(
        feature="summary",
        prompt_key="summary.text",
        user=rep,
        record=contact,
        variables={"text": NOTE, "max_sentences": 1},
    )

    event = ai_output_record(result=result, record=contact, action="sms_sent", actor=rep)

    stored = AuditEvent.objects.get(
        entity_type="contact", entity_id=contact.pk, field="ai.sms_sent"
    )
    assert stored.pk == event.pk and stored.actor_id == rep.pk and stored.source == "ai"
    assert stored.new_value["engine"] == "Claude (claude-sonnet-4-6)"
    assert stored.new_value["model"] == "claude-sonnet-4-6"
    assert stored.new_value["prompt_version"] == "default-r1"
    assert stored.new_value["tokens"] == "300+40" and stored.new_value["cost_usd"] == "0.001500"
    usage = AIUsage.objects.get(pk=result.usage_id)
    assert (usage.record_type, usage.record_id) == ("contact", contact.pk)

    ai_usage_outcome_set(usage_id=result.usage_id, outcome=Outcome.EDITED)
    assert AIUsage.objects.get(pk=result.usage_id).outcome == "edited"


def test_bad_outcome_and_bad_record_are_refused(in_alpha):
    configure()
    result = _call()
    with pytest.raises(ValidationError):
        ai_usage_outcome_set(usage_id=result.usage_id, outcome="loved")
    with pytest.raises(ValidationError):
        ai_usage_outcome_set(usage_id=10**9, outcome="accepted")
    with pytest.raises(ValidationError):
        ai_output_record(result=result, record=Contact(first_name="unsaved"), action="x")
    assert AIUsage.objects.get(pk=result.usage_id).outcome == "pending"
