"""The monthly budget: running spend, the 80 % alert to admins (once a month) and the 100 %
stop (the gateway then answers with the built-in engine until the month ends)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from .models import AISettings, AISpend

ALERT_AT = Decimal("0.8")
NOTIFICATION_KIND = "ai.budget"


def month_start(now: dt.datetime | None = None) -> dt.date:
    return (now or timezone.now()).astimezone(dt.UTC).date().replace(day=1)


def month_spend(*, month: dt.date | None = None) -> Decimal:
    row = AISpend.objects.filter(month=month or month_start()).values_list("cost_usd", flat=True)
    return next(iter(row), Decimal("0"))


@dataclass(frozen=True)
class BudgetPlan:
    budget: Decimal | None
    spent: Decimal

    @property
    def exhausted(self) -> bool:
        return self.budget is not None and self.spent >= self.budget


def budget_plan(*, config: AISettings) -> BudgetPlan:
    if config.monthly_budget_usd is None:
        return BudgetPlan(None, Decimal("0"))
    return BudgetPlan(config.monthly_budget_usd, month_spend())


def spend_record(*, cost: Decimal, plan: BudgetPlan | None = None) -> None:
    """Add one call to this month's total (one UPDATE; the first call of a month inserts).
    With the plan read before the call, the alert check runs only when this call may have
    crossed 80 % (two queries saved on every other call)."""
    month = month_start()
    bump = dict(cost_usd=F("cost_usd") + cost, calls=F("calls") + 1)
    if not AISpend.objects.filter(month=month).update(**bump):
        try:
            with transaction.atomic():
                AISpend.objects.create(month=month, cost_usd=cost, calls=1)
        except IntegrityError:  # another call inserted the month first
            AISpend.objects.filter(month=month).update(**bump)
    if cost <= 0:
        return
    if plan is not None and (plan.budget is None or plan.spent + cost < plan.budget * ALERT_AT):
        return
    budget_alert_check()


def budget_alert_check() -> bool:
    """Alert every active admin once per month when spend reaches 80 % of the budget."""
    config = AISettings.objects.first()
    if config is None or not config.monthly_budget_usd:
        return False
    budget, spent = config.monthly_budget_usd, month_spend()
    if spent < budget * ALERT_AT:
        return False
    label = f"{month_start():%Y-%m}"
    # The conditional UPDATE is the once-a-month guarantee, however many calls race here.
    won = (
        AISettings.objects.filter(pk=config.pk)
        .exclude(budget_alerted_month=label)
        .update(budget_alerted_month=label)
    )
    if not won:
        return False
    _alert_admins(budget=budget, spent=spent)
    return True


def _alert_admins(*, budget: Decimal, spent: Decimal) -> None:
    from django.urls import reverse

    from crm.notifications.services import notification_send
    from crm.team.models import Role, User

    share = int(spent / budget * 100)
    url = reverse("workspace_admin:intelligence_ai_aiusage_report")
    for admin_id in User.objects.filter(role=Role.ADMIN, is_active=True).values_list(
        "pk", flat=True
    ):
        notification_send(
            user_id=admin_id,
            kind=NOTIFICATION_KIND,
            title=f"AI budget {share} % used this month",
            body=f"${spent:.2f} of ${budget:.2f}. At 100 % the built-in engine answers every AI "
            "feature until the month ends; raise the budget in AI settings to continue.",
            url=url,
        )
