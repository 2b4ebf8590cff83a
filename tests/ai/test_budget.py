"""Monthly budget: one alert to each active admin at 80 %, the built-in engine at 100 %."""

from __future__ import annotations

from decimal import Decimal

from django_tenants.utils import schema_context

from crm.notifications.models import Notification
from crm.team.models import Role
from intelligence.ai.budget import month_spend
from intelligence.ai.models import AIUsage
from intelligence.ai.services import ai_complete

from .conftest import ANTHROPIC, anthropic_text, configure, make_provider

VARS = {"text": "Roof job for Maria. Budget is $12,000.", "max_sentences": 1}


def _call():
    return ai_complete(feature="summary", prompt_key="summary.text", variables=VARS)


def _one_dollar_call():
    # claude-sonnet: $15 per million output tokens → 66,667 tokens ≈ $1.00
    return anthropic_text("answer", tokens_in=0, tokens_out=66_667)


def test_alert_at_80_percent_once_to_each_active_admin(in_alpha, stub):
    admin_a = in_alpha.make_user(email="admin-a@alpha.test", role=Role.ADMIN)
    admin_b = in_alpha.make_user(email="admin-b@alpha.test", role=Role.ADMIN)
    gone = in_alpha.make_user(email="gone@alpha.test", role=Role.ADMIN)
    gone.is_active = False
    gone.save()
    rep = in_alpha.make_user(email="rep-b@alpha.test")
    configure(primary=make_provider(), budget="5.00")

    for _ in range(3):  # $3 = 60 %: no alert yet
        stub.queue(ANTHROPIC, _one_dollar_call())
        _call()
    assert not Notification.objects.filter(kind="ai.budget").exists()

    for _ in range(1):  # $4 = 80 %: alert
        stub.queue(ANTHROPIC, _one_dollar_call())
        _call()
    alerted = set(Notification.objects.filter(kind="ai.budget").values_list("recipient", flat=True))
    assert {admin_a.pk, admin_b.pk} <= alerted
    assert gone.pk not in alerted and rep.pk not in alerted
    count = Notification.objects.filter(kind="ai.budget").count()

    stub.queue(ANTHROPIC, _one_dollar_call())  # 90 %: no second alert this month
    _call()
    assert Notification.objects.filter(kind="ai.budget").count() == count
    note = Notification.objects.filter(kind="ai.budget", recipient=admin_a).get()
    assert "80 %" in note.title and "$4.00 of $5.00" in note.body


def test_hard_stop_at_100_percent_answers_with_the_builtin_engine(in_alpha, stub):
    configure(primary=make_provider(), budget="2.00")
    for _ in range(2):
        stub.queue(ANTHROPIC, _one_dollar_call())
        _call()
    assert month_spend() >= Decimal("2.00")

    result = _call()  # nothing queued: a request would fail the test

    assert result.engine == "Built-in engine" and result.fallback_reason == "budget"
    assert stub.count(ANTHROPIC) == 2 and result.cost_usd == 0
    usage = AIUsage.objects.get(pk=result.usage_id)
    assert (usage.provider, usage.fallback_reason) == ("builtin", "budget")


def test_budgets_are_per_workspace(alpha, beta, stub):
    with schema_context(alpha.schema):
        configure(primary=make_provider(), budget="1.00")
        stub.queue(ANTHROPIC, _one_dollar_call())
        _call()
        assert _call().fallback_reason == "budget"
        alpha_rows = AIUsage.objects.count()
    with schema_context(beta.schema):
        configure(primary=make_provider(), budget="1.00")
        assert month_spend() == 0 and AIUsage.objects.count() == 0
        stub.queue(ANTHROPIC, anthropic_text("beta answers"))
        assert _call().text == "beta answers"
    with schema_context(alpha.schema):
        assert AIUsage.objects.count() == alpha_rows
