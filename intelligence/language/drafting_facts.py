"""What a draft is grounded in: the record, its people and its recent timeline.

Everything is read inside the current workspace's schema, so a draft can only ever name facts
of the workspace the rep works in.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Q
from django.utils import timezone

from crm.activities.models import Activity
from crm.contacts.models import Contact
from crm.deals.models import Deal
from crm.leads.models import Lead
from crm.web import can_edit

RECORD_TYPES = ("lead", "contact", "deal")
MESSAGE_KINDS = (
    Activity.Kind.SMS,
    Activity.Kind.EMAIL,
    Activity.Kind.CHAT,
    Activity.Kind.MESSENGER,
)
TIMELINE_SIZE = 6


@dataclass(frozen=True)
class Interaction:
    kind: str
    direction: str
    when: datetime
    text: str


@dataclass(frozen=True)
class DraftFacts:
    record_type: str
    record_id: int
    first_name: str
    full_name: str
    company: str
    owner_name: str
    sender_name: str
    topic: str  # what they are interested in / what the deal is about ("" if unknown)
    stage: str  # deal stage, or lead status
    amount: str  # "$12,000" or ""
    last_inbound: str  # their last message's text
    last_question: str  # the question in it, if it asked one
    last_interaction: str  # "our call on Tuesday", "your text yesterday"…
    first_sms: bool  # no outbound SMS to this contact yet: the opt-out line is required
    interactions: tuple[Interaction, ...] = field(default_factory=tuple)

    def as_text(self) -> str:
        """The facts as the model sees them (a provider gets nothing else about the record)."""
        lines = [
            f"Record: {self.record_type}",
            f"Contact: {self.full_name or 'unknown'}",
        ]
        for label, value in (
            ("Company", self.company),
            ("Interested in", self.topic),
            ("Stage", self.stage),
            ("Amount", self.amount),
            ("Record owner", self.owner_name),
            ("Written by (sign as)", self.sender_name),
        ):
            if value:
                lines.append(f"{label}: {value}")
        if self.interactions:
            lines.append("Recent interactions, newest first:")
            for item in self.interactions:
                text = " ".join(item.text.split())[:200]
                lines.append(
                    f"- {item.when:%Y-%m-%d} {item.direction} {item.kind}: {text or '(no text)'}"
                )
        else:
            lines.append("No earlier interactions.")
        return "\n".join(lines)


def draft_record_get(*, record_type: str, record_id: Any, user: Any):
    """The record a rep may draft for: ValidationError for bad input, PermissionDenied when
    it is someone else's (reps draft on their own records, managers on all)."""
    if record_type not in RECORD_TYPES:
        raise ValidationError({"record": "Choose a lead, a contact or a deal."})
    try:
        pk = int(record_id)
    except (TypeError, ValueError):
        raise ValidationError({"record": "The record id must be a number."}) from None
    if pk <= 0:
        raise ValidationError({"record": "The record id must be a number."})
    if record_type == "lead":
        record = Lead.objects.select_related("contact__company", "owner").filter(pk=pk).first()
    elif record_type == "contact":
        record = Contact.objects.select_related("company", "owner").filter(pk=pk).first()
    else:
        record = (
            Deal.objects.select_related("primary_contact", "company", "stage", "owner")
            .filter(pk=pk)
            .first()
        )
    # Another workspace's id simply does not exist here: the same answer as a missing one.
    if record is None:
        raise ValidationError({"record": f"No {record_type} #{pk} in this workspace."})
    if not can_edit(user, record):
        raise PermissionDenied("Only the record's owner or a manager can draft messages for it.")
    return record


def record_contact(record: Any) -> Contact | None:
    model = record._meta.model_name
    if model == "contact":
        return record
    if model == "lead":
        return record.contact
    return record.primary_contact


def _money(value: Any) -> str:
    if value in (None, "") or Decimal(value) <= 0:
        return ""
    value = Decimal(value)
    return f"${value:,.0f}" if value == value.to_integral() else f"${value:,.2f}"


def _display(user: Any) -> str:
    if user is None:
        return ""
    name = (user.get_full_name() or "").strip() or user.get_username()
    return name.split("@")[0] if "@" in name else name  # a name, not a login


def _timeline(record: Any, contact: Contact | None) -> list[Activity]:
    model = record._meta.model_name
    scope = Q(**{model: record})
    if contact is not None and model != "contact":
        scope |= Q(contact=contact)
    return list(
        Activity.objects.filter(scope)
        .exclude(kind=Activity.Kind.SYSTEM)
        .order_by("-occurred_at", "-id")[:TIMELINE_SIZE]
    )


def question_of(text: str) -> str:
    """The last sentence of `text` that asks something."""
    parts = [p.strip() for p in text.replace("\n", " ").split("?")]
    for index in range(len(parts) - 2, -1, -1):
        sentence = parts[index].split(". ")[-1].split("! ")[-1].strip()
        if sentence:
            return sentence + "?"
    return ""


def _day(when: datetime) -> str:
    today = timezone.localdate()
    day = timezone.localdate(when)
    delta = (today - day).days
    if delta <= 0:
        return "today"
    if delta == 1:
        return "yesterday"
    if delta < 7:
        return f"on {day:%A}"
    return f"on {day:%B} {day.day}"


_KIND_WORDS = {
    "call": "call",
    "meeting": "meeting",
    "sms": "text",
    "email": "email",
    "chat": "chat",
    "messenger": "message",
    "note": "conversation",
}


def _last_interaction(items: list[Activity]) -> str:
    for item in items:
        if item.kind == Activity.Kind.NOTE:
            continue
        word = _KIND_WORDS.get(item.kind, "conversation")
        whose = "your" if item.direction == Activity.Direction.INBOUND else "our"
        if item.kind in ("call", "meeting"):
            whose = "our"
        return f"{whose} {word} {_day(item.occurred_at)}"
    return ""


def _topic(record: Any, contact: Contact | None) -> str:
    model = record._meta.model_name
    if model == "lead":
        return record.interest
    if model == "deal":
        return record.name
    lead = Lead.objects.filter(contact=record).exclude(interest="").order_by("-created_at").first()
    return lead.interest if lead is not None else ""


def draft_facts(*, record: Any, user: Any = None) -> DraftFacts:
    contact = record_contact(record)
    model = record._meta.model_name
    items = _timeline(record, contact)
    inbound = next(
        (
            a
            for a in items
            if a.direction == Activity.Direction.INBOUND
            and a.kind in MESSAGE_KINDS
            and a.body.strip()
        ),
        None,
    )
    last_inbound = inbound.body.strip() if inbound is not None else ""
    company = ""
    if model == "deal" and record.company_id:
        company = record.company.name
    elif contact is not None and contact.company_id:
        company = contact.company.name
    if model == "deal":
        stage, amount = record.stage.name, _money(record.amount)
    elif model == "lead":
        stage, amount = record.get_status_display(), _money(record.estimated_value)
    else:
        stage, amount = "", ""
    first_sms = (
        contact is None
        or not Activity.objects.filter(
            contact=contact, kind=Activity.Kind.SMS, direction=Activity.Direction.OUTBOUND
        ).exists()
    )
    owner = getattr(record, "owner", None)
    return DraftFacts(
        record_type=model,
        record_id=record.pk,
        first_name=(contact.first_name if contact is not None else "").strip(),
        full_name=(contact.full_name if contact is not None else "").strip(),
        company=company,
        owner_name=_display(owner),
        sender_name=_display(user) or _display(owner),
        topic=_topic(record, contact).strip(),
        stage=stage,
        amount=amount,
        last_inbound=last_inbound,
        last_question=question_of(last_inbound),
        last_interaction=_last_interaction(items),
        first_sms=first_sms,
        interactions=tuple(
            Interaction(a.kind, a.direction, a.occurred_at, a.subject or a.body) for a in items
        ),
    )
