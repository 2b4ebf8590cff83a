"""The monthly budget: running spend, the 80 % alert to admins (once a month) and the 100 %
stop (the gateway then answers with the built-in engine until the month ends)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.db import connection
from django.utils import timezone

from .models import AISettings, AISpend, AIUsage

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
    spent: Decimal  # committed spend this month when the call started
    alerted_month: str = ""  # "YYYY-MM" of the last 80 % alert, read with `spent`

    @property
    def exhausted(self) -> bool:
        return self.budget is not None and self.spent >= self.budget


def budget_plan(*, config: AISettings, spent: Decimal, alerted_month: str = "") -> BudgetPlan:
    return BudgetPlan(config.monthly_budget_usd, spent, alerted_month)


def usage_and_spend_record(*, usage: AIUsage, plan: BudgetPlan | None = None) -> Decimal:
    """Insert the usage row and add it to this month's total in ONE statement (one round trip,
    one commit: the row and the money can never be split), then run the 80 % alert check when
    the new total calls for it. Sets `usage.pk`; returns the month's new total."""
    qn = connection.ops.quote_name
    fields = [f for f in AIUsage._meta.concrete_fields if not f.primary_key]
    values = [f.get_db_prep_save(f.pre_save(usage, True), connection) for f in fields]
    spend = qn(AISpend._meta.db_table)
    month = month_start()
    sql = (
        f"WITH usage AS (INSERT INTO {qn(AIUsage._meta.db_table)}"
        f" ({', '.join(qn(f.column) for f in fields)})"
        f" VALUES ({', '.join(['%s'] * len(fields))}) RETURNING id),"
        f" spend AS (INSERT INTO {spend} (month, cost_usd, calls) VALUES (%s, %s, 1)"
        f" ON CONFLICT (month) DO UPDATE SET cost_usd = {spend}.cost_usd + EXCLUDED.cost_usd,"
        f" calls = {spend}.calls + 1 RETURNING cost_usd)"
        " SELECT (SELECT id FROM usage), (SELECT cost_usd FROM spend)"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [*values, month, usage.cost_usd])
        usage.pk, total = cursor.fetchone()
    usage._state.adding = False
    cost = usage.cost_usd
    if cost > 0 and _alert_due(plan=plan, total=total, month=month):
        budget_alert_check()
    return total


def _alert_due(*, plan: BudgetPlan | None, total: Decimal, month: dt.date) -> bool:
    if plan is None:  # no plan read before the call: let the full check decide
        return True
    if plan.budget is None or total < plan.budget * ALERT_AT:
        return False
    return plan.alerted_month != f"{month:%Y-%m}"


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
