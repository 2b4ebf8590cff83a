"""Customer history from the ORM, and features of a customer *as of a reference date*.

A customer is a company or a contact, keyed ("company", 12) / ("contact", 7). `history_load`
reads everything the features need for a batch of customers in a fixed number of queries
(entities, timeline, deals, opt-outs, tasks); `features_as_of(history, at)` then describes the
customer using only what had happened by `at`. Training describes each customer at monthly
reference dates *before* the outcome it is labelled with (see training.py), so nothing that
happened after the reference date (the churn itself, the silence after it, a win-back deal)
can leak into the features.
"""

from __future__ import annotations

from bisect import bisect_right
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal

from django.db.models import F, Lookup, Q, QuerySet

from crm.activities.models import Activity, Task
from crm.contacts.models import Company, ConsentRecord, Contact
from crm.customfields.models import Entity
from crm.deals.models import Deal, DealContact
from intelligence.featurekit import custom_field_columns, feature_category, feature_number
from intelligence.features import FeatureSpec

COMPANY, CONTACT = "company", "contact"
Key = tuple[str, int]
DAY = timedelta(days=1)
# Fields a workspace typically fills when (or because) a customer leaves: known only after the
# outcome, so never an input.
EXCLUDED_CUSTOM_KEYS = frozenset({"churn_reason", "cancellation_reason", "cancelled_at"})

NUMERIC_LABELS: dict[str, str] = {
    "tenure_days": "Days as a customer",
    "activities_30d": "Activities in the last 30 days",
    "activities_90d": "Activities in the last 90 days",
    "activity_trend": "Activity trend (last 90 days vs the 90 before)",
    "inbound_30d": "Messages and calls from them in the last 30 days",
    "inbound_90d": "Messages and calls from them in the last 90 days",
    "days_since_last_activity": "Days since the last activity",
    "days_since_last_inbound": "Days since they last reached out",
    "won_deals": "Won deals",
    "revenue_12m": "Revenue in the last 12 months",
    "revenue_before_12m": "Revenue before the last 12 months",
    "days_since_last_won": "Days since the last won deal",
    "open_deals": "Open deals",
    "open_amount": "Open deal amount",
    "lost_deals_12m": "Deals lost in the last 12 months",
    "opt_outs": "Opt-outs (consent withdrawn)",
    "overdue_tasks": "Overdue tasks",
    "company_employees": "Company size (employees)",
    "company_revenue": "Company annual revenue",
}
CATEGORY_LABELS: dict[str, str] = {
    "customer_type": "Customer type",
    "industry": "Industry",
    "source": "Source",
}


@dataclass
class History:
    """One customer's record and timeline, each list sorted by time."""

    key: Key
    became_customer_at: datetime | None
    churned_at: datetime | None
    stage: str
    created_at: datetime
    static: dict[str, object] = field(default_factory=dict)  # size, industry, custom fields
    activity_at: list[datetime] = field(default_factory=list)
    inbound_at: list[datetime] = field(default_factory=list)
    won: list[tuple[datetime, float]] = field(default_factory=list)  # (closed_at, amount)
    lost_at: list[datetime] = field(default_factory=list)
    open_spans: list[tuple[datetime, datetime | None, float]] = field(default_factory=list)
    opt_out_at: list[datetime] = field(default_factory=list)
    task_spans: list[tuple[datetime, datetime | None]] = field(default_factory=list)  # due, done

    @property
    def start(self) -> datetime:
        """When the customer relationship began (import without a date: when the record did)."""
        first_won = self.won[0][0] if self.won else None
        candidates = [d for d in (self.became_customer_at, first_won) if d is not None]
        return min(candidates) if candidates else self.created_at


def customer_feature_spec() -> FeatureSpec:
    """The fixed columns plus the workspace's contact custom fields by type (numbers as
    numbers; choice and yes/no as categories). Companies have no custom fields: missing."""
    numeric, categorical, labels = custom_field_columns(
        entity=Entity.CONTACT, exclude=EXCLUDED_CUSTOM_KEYS
    )
    return FeatureSpec(
        numeric=(*NUMERIC_LABELS, *numeric),
        categorical=(*CATEGORY_LABELS, *categorical),
        labels={**NUMERIC_LABELS, **CATEGORY_LABELS, **labels},
    )


# --- loading ------------------------------------------------------------------------------


class _AnyOf(Lookup):
    """`column = ANY(%s::bigint[])` with the ids as one array parameter: the same index scan
    as `IN (...)`, but a batch of 2,000 ids is one parameter instead of 2,000 placeholders for
    the driver to splice into (and PostgreSQL to parse out of) the SQL."""

    lookup_name = "any_of"
    prepare_rhs = False

    def as_sql(self, compiler, connection):
        lhs, params = self.process_lhs(compiler, connection)
        return f"{lhs} = ANY(%s::bigint[])", [*params, [int(pk) for pk in self.rhs]]


def _any(column: str, ids: list[int]) -> _AnyOf:
    return _AnyOf(F(column), ids)


def _rows(queryset: QuerySet, ids: list[int]) -> Iterable[tuple]:
    """The rows, or none without a query when there are no ids to look for."""
    return queryset if ids else ()


def _entities(company_ids: list[int], contact_ids: list[int]) -> dict[Key, History]:
    out: dict[Key, History] = {}
    companies = Company.objects.filter(_any("pk", company_ids)).values_list(
        "pk", "became_customer_at", "churned_at", "lifecycle_stage", "created_at",
        "employee_count", "annual_revenue", "industry",
    )  # fmt: skip
    for pk, became, churned, stage, created, employees, revenue, industry in _rows(
        companies, company_ids
    ):
        static = {
            "company_employees": feature_number(employees),
            "company_revenue": feature_number(revenue),
            "industry": feature_category(industry),
            "customer_type": COMPANY,
            "custom": {},
        }
        out[(COMPANY, pk)] = History((COMPANY, pk), became, churned, stage, created, static)
    contacts = Contact.objects.filter(_any("pk", contact_ids)).values_list(
        "pk", "became_customer_at", "churned_at", "lifecycle_stage", "created_at", "source",
        "custom", "company__employee_count", "company__annual_revenue", "company__industry",
    )  # fmt: skip
    for pk, became, churned, stage, created, source, custom, emp, revenue, industry in _rows(
        contacts, contact_ids
    ):
        static = {"company_employees": feature_number(emp),
                  "company_revenue": feature_number(revenue),
                  "industry": feature_category(industry), "customer_type": CONTACT,
                  "source": feature_category(source), "custom": custom or {}}  # fmt: skip
        out[(CONTACT, pk)] = History((CONTACT, pk), became, churned, stage, created, static)
    return out


def _owners(row_keys: Iterable[tuple[str, int | None]], wanted: dict[Key, History]) -> set[Key]:
    return {(kind, pk) for kind, pk in row_keys if pk is not None and (kind, pk) in wanted}


def _union(querysets: list[QuerySet]) -> QuerySet | None:
    """One query, the UNION of the arms without their ordering (None when there are none)."""
    arms = [qs.order_by() for qs in querysets]
    if not arms:
        return None
    return arms[0].union(*arms[1:]) if len(arms) > 1 else arms[0]


def _load_activities(histories: dict[Key, History], companies: list, contacts: list) -> None:
    """An activity counts for every customer it reaches through any of five links: its
    company, its contact's company, its deal's company, its contact, its deal's primary contact
    (once per customer however many links lead there).

    One query, a UNION of one arm per link, each filtering a single indexed column of the
    activity table (company, contact, deal; the contacts and deals of the batch through an
    indexed subquery). An OR across the joined links would make PostgreSQL scan the whole
    activity table. Every arm returns the activity's id with all five links, so UNION drops an
    activity found by two arms and the owners are worked out from the row exactly as before.
    """
    # stage changes are not engagement
    engagement = Activity.objects.exclude(kind=Activity.Kind.SYSTEM)
    arms = []
    if companies:
        company_contacts = Contact.objects.filter(_any("company_id", companies)).values("pk")
        company_deals = Deal.objects.filter(_any("company_id", companies)).values("pk")
        arms += [engagement.filter(_any("company_id", companies)),
                 engagement.filter(contact_id__in=company_contacts),
                 engagement.filter(deal_id__in=company_deals)]  # fmt: skip
    if contacts:
        contact_deals = Deal.objects.filter(_any("primary_contact_id", contacts)).values("pk")
        arms += [engagement.filter(_any("contact_id", contacts)),
                 engagement.filter(deal_id__in=contact_deals)]  # fmt: skip
    fields = ("pk", "company_id", "contact__company_id", "deal__company_id", "contact_id",
              "deal__primary_contact_id", "direction", "occurred_at")  # fmt: skip
    rows = _union([arm.values_list(*fields) for arm in arms])
    if rows is None:
        return
    for _pk, co1, co2, co3, ct1, ct2, direction, at in rows.iterator(chunk_size=5000):
        owners = _owners(
            [(COMPANY, co1), (COMPANY, co2), (COMPANY, co3), (CONTACT, ct1), (CONTACT, ct2)],
            histories,
        )
        for key in owners:
            histories[key].activity_at.append(at)
            if direction == Activity.Direction.INBOUND:
                histories[key].inbound_at.append(at)


def _amount(value: Decimal | None) -> float:
    return (
        feature_number(value) or 0.0
    )  # a missing or NaN amount counts as no revenue, not an error


def _load_deals(histories: dict[Key, History], companies: list, contacts: list) -> None:
    fields = ("pk", "amount", "created_at", "closed_at", "stage__is_won", "stage__is_lost")
    by_deal: dict[int, set[Key]] = defaultdict(set)
    info: dict[int, tuple] = {}
    by_company = Deal.objects.filter(_any("company_id", companies))
    by_company = by_company.values_list("company_id", *fields)
    for row in _rows(by_company, companies):
        by_deal[row[1]].add((COMPANY, row[0]))
        info[row[1]] = row[2:]
    linked = Deal.objects.filter(_any("primary_contact_id", contacts)).values_list(
        "primary_contact_id", *fields
    )
    for row in _rows(linked, contacts):
        by_deal[row[1]].add((CONTACT, row[0]))
        info[row[1]] = row[2:]
    roles = DealContact.objects.filter(_any("contact_id", contacts)).values_list(
        "contact_id", *(f"deal__{f}" if f != "pk" else "deal_id" for f in fields)
    )
    for row in _rows(roles, contacts):
        by_deal[row[1]].add((CONTACT, row[0]))
        info[row[1]] = row[2:]
    for deal_id, keys in by_deal.items():
        amount, created, closed, is_won, is_lost = info[deal_id]
        for key in keys & histories.keys():
            history = histories[key]
            if (is_won or is_lost) and closed is None:
                continue  # closed without a date: cannot be placed in time
            if is_won:
                history.won.append((closed, _amount(amount)))
            elif is_lost:
                history.lost_at.append(closed)
            # open at a date between creation and closing (still open: closed is None)
            history.open_spans.append((created, closed, _amount(amount)))


def _load_signals(histories: dict[Key, History], companies: list, contacts: list) -> None:
    """Opt-outs (of the customer contact, or of any contact of the customer company): one
    UNION query, one arm per link so that each uses the index on the consent's contact (an OR
    across the join to the contact scans the consent table). Tasks with a due date (on the
    company or the contact): one query."""
    revoked = ConsentRecord.objects.filter(status=ConsentRecord.Status.REVOKED)
    arms = []
    if contacts:
        arms.append(revoked.filter(_any("contact_id", contacts)))
    if companies:
        company_contacts = Contact.objects.filter(_any("company_id", companies)).values("pk")
        arms.append(revoked.filter(contact_id__in=company_contacts))
    consents = _union(
        [arm.values_list("pk", "contact_id", "contact__company_id", "occurred_at") for arm in arms]
    )
    for _pk, contact_id, company_id, at in consents if consents is not None else ():
        for key in _owners([(CONTACT, contact_id), (COMPANY, company_id)], histories):
            histories[key].opt_out_at.append(at)
    if not (companies or contacts):
        return
    # A plain OR of two columns of the task table: PostgreSQL combines the two indexes
    # (BitmapOr), and the rows keep the tasks' order.
    tasks = Task.objects.filter(due_at__isnull=False).filter(
        Q(_any("company_id", companies)) | Q(_any("contact_id", contacts))
    )
    for company_id, contact_id, due, done, completed in tasks.values_list(
        "company_id", "contact_id", "due_at", "done", "completed_at"
    ):
        finished = (completed or due) if done else None
        for key in _owners([(COMPANY, company_id), (CONTACT, contact_id)], histories):
            histories[key].task_spans.append((due, finished))


def history_load(*, keys: Iterable[Key]) -> dict[Key, History]:
    """The history of each existing customer among `keys` (missing ones are left out).

    At most 8 queries whatever the number of keys (fewer when there are no companies or no
    contacts among them): 2 for the records, 1 for the timeline (a UNION of up to 5 arms, one
    per link, see `_load_activities`), 3 for deals, 1 for opt-outs (a UNION of 2 arms) and 1
    for tasks. Every query filters an indexed column with one array parameter (`_any`), so
    its cost follows the batch's own rows, not the size of the activity, contact or deal
    tables; the timeline is read with a server-side cursor in chunks."""
    keys = list(keys)
    companies = [pk for kind, pk in keys if kind == COMPANY]
    contacts = [pk for kind, pk in keys if kind == CONTACT]
    histories = _entities(companies, contacts)
    _load_activities(histories, companies, contacts)
    _load_deals(histories, companies, contacts)
    _load_signals(histories, companies, contacts)
    for history in histories.values():
        history.activity_at.sort()
        history.inbound_at.sort()
        history.won.sort()
        history.lost_at.sort()
        history.opt_out_at.sort()
    return histories


# --- features as of a date ----------------------------------------------------------------


def _count_between(times: list[datetime], start: datetime, end: datetime) -> int:
    """How many times fall in (start, end]."""
    return bisect_right(times, end) - bisect_right(times, start)


def _days(delta: timedelta) -> float:
    return float(round(max(0.0, delta / DAY)))  # whole days: "No activity for 64 days"


def _days_since_last(times: list[datetime], at: datetime) -> float | None:
    index = bisect_right(times, at)
    return _days(at - times[index - 1]) if index else None


def features_as_of(history: History, at: datetime, spec: FeatureSpec) -> dict[str, object]:
    """The customer as it was at `at`: only events at or before `at` count."""
    year_ago = at - 365 * DAY
    won = [(closed, amount) for closed, amount in history.won if closed <= at]
    act_90 = _count_between(history.activity_at, at - 90 * DAY, at)
    act_prev = _count_between(history.activity_at, at - 180 * DAY, at - 90 * DAY)
    open_now = [a for created, closed, a in history.open_spans
                if created <= at and (closed is None or closed > at)]  # fmt: skip
    static = history.static
    row: dict[str, object] = {
        "tenure_days": _days(at - history.start),
        "activities_30d": float(_count_between(history.activity_at, at - 30 * DAY, at)),
        "activities_90d": float(act_90),
        "activity_trend": float(act_90 - act_prev),
        "inbound_30d": float(_count_between(history.inbound_at, at - 30 * DAY, at)),
        "inbound_90d": float(_count_between(history.inbound_at, at - 90 * DAY, at)),
        "days_since_last_activity": _days_since_last(history.activity_at, at),
        "days_since_last_inbound": _days_since_last(history.inbound_at, at),
        "won_deals": float(len(won)),
        "revenue_12m": sum(a for closed, a in won if closed > year_ago),
        "revenue_before_12m": sum(a for closed, a in won if closed <= year_ago),
        "days_since_last_won": _days(at - won[-1][0]) if won else None,
        "open_deals": float(len(open_now)),
        "open_amount": float(sum(open_now)),
        "lost_deals_12m": float(_count_between(history.lost_at, year_ago, at)),
        "opt_outs": float(bisect_right(history.opt_out_at, at)),
        "overdue_tasks": float(
            sum(1 for due, done in history.task_spans if due <= at and (done is None or done > at))
        ),
        "company_employees": static.get("company_employees"),
        "company_revenue": static.get("company_revenue"),
        "customer_type": static.get("customer_type"),
        "industry": static.get("industry"),
        "source": static.get("source"),
    }
    custom = static.get("custom") or {}
    for name in spec.numeric:
        if name.startswith("cf_"):
            row[name] = feature_number(custom.get(name[3:]))
    for name in spec.categorical:
        if name.startswith("cf_"):
            row[name] = feature_category(custom.get(name[3:]))
    return row
