"""Ask the CRM: a question in plain words becomes a leads-list filter.

    ask_crm_parse(question="hot leads in Orlando with no activity this week", user=rep)

Rules read the common patterns (temperatures, statuses, "my", owners' names, sources, cities
and states found in the workspace's data, time phrases, sorting); when words are left over and
the workspace has an AI provider, the model reads the whole question into `LeadFilterOut`.
Either way every value is checked against what exists (statuses, active users, the
workspace's sources and places, custom field definitions) and only query parameters the leads
list understands are emitted — a filter is never SQL, so a question cannot be an injection.
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import cached_property
from typing import Any
from urllib.parse import urlencode

from django.utils import timezone

from crm.contacts.models import Contact
from crm.customfields.models import Entity, FieldType
from crm.customfields.selectors import custom_field_map
from crm.leads.models import LeadStatus
from crm.leads.selectors import TEMPERATURES, UNSCORED, LeadFilters, lead_source_list
from crm.leads.status import OPEN_STATUSES
from crm.team.selectors import user_list_active
from intelligence.ai.builtin import STOPWORDS, BuiltinRequest, builtin_register
from intelligence.ai.prompts import PromptSpec, PromptTest, prompt_register

from .schemas import LeadFilterOut

FEATURE = "ask_crm"
MAX_QUESTION = 300

ASK_PROMPT = prompt_register(
    PromptSpec(
        key="insights.ask",
        feature=FEATURE,
        description="A question about leads → a leads-list filter (structured).",
        system="You turn a sales rep's question about their leads into a filter. Use only the "
        "fields of the schema and only values from the lists given; put words you cannot map "
        "into `unrecognized`. Never invent fields or values.",
        template="Today is {{ today }}. The rep is {{ rep }}.\nStatuses: {{ statuses }}\n"
        "Owners: {{ owners }}\nSources: {{ sources }}\nCustom fields: {{ custom_fields }}\n\n"
        "Question: {{ question }}",
        variables=("today", "rep", "statuses", "owners", "sources", "custom_fields", "question"),
        tests=(
            PromptTest(
                name="hot leads",
                variables={
                    "today": "2026-11-23",
                    "rep": "Dana",
                    "statuses": "new, contacted",
                    "owners": "Dana",
                    "sources": "facebook",
                    "custom_fields": "",
                    "question": "hot leads from facebook",
                },
            ),
        ),
    )
)

# Words a question is made of that are not filters.
_FILLER_TEXT = """
lead leads show list find give get see display open all any every which who whose that
    those these ones people prospects contacts records please want need there ones where is
    are with without in from of for by at on to and or the a an me my i our created added
    came arrived status source owner owned assigned city state region since named called
    having has have been were was currently right now new first last ones"""
FILLER = STOPWORDS | frozenset(_FILLER_TEXT.split())

STATUS_WORDS: dict[str, list[str]] = {
    **{s.value: [s.value] for s in LeadStatus},
    "open": sorted(OPEN_STATUSES),
    "active": sorted(OPEN_STATUSES),
    "won": [LeadStatus.CONVERTED],
    "dead": [LeadStatus.LOST],
    "unqualified": [LeadStatus.DISQUALIFIED],
    "junk": [LeadStatus.DISQUALIFIED],
    "engaging": [LeadStatus.ENGAGED],
}
SORT_WORDS: list[tuple[str, str, str]] = [
    (
        r"\b(?:best|top|hottest|highest[- ]scor(?:e|ed|ing)|most promising)\b",
        "-score",
        "best score",
    ),
    (r"\b(?:newest|latest|most recent)\b", "-created", "newest first"),
    (r"\boldest\b", "created", "oldest first"),
    (r"\b(?:biggest|largest|highest[- ]value|most valuable)\b", "-value", "highest value"),
]
_NUMBER_WORDS = {"one": 1, "a": 1, "an": 1, "two": 2, "three": 3, "four": 4, "five": 5,
                 "six": 6, "seven": 7, "ten": 10, "fourteen": 14, "thirty": 30}  # fmt: skip
_COUNT = r"\d{1,3}|one|a|an|two|three|four|five|six|seven|ten|fourteen|thirty"
_UNIT = r"days?|weeks?|months?"
_PERIOD = (
    rf"(?P<period>today|yesterday|this week|last week|this month|last month|"
    rf"(?:in |over |during |for )?(?:the )?(?:last|past) (?P<n1>{_COUNT}) (?P<u1>{_UNIT})|"
    rf"(?:in |for |over )?(?P<n2>{_COUNT}) (?P<u2>{_UNIT})|"
    rf"since (?P<iso>\d{{4}}-\d{{2}}-\d{{2}}))"
)
INACTIVE = re.compile(
    rf"\b(?:with )?(?:no (?:activity|activities|contact|touch(?:es)?|calls?|follow[- ]?ups?|"
    rf"response)|not (?:been )?(?:contacted|touched|called)|untouched|inactive|"
    rf"(?:haven'?t|hasn'?t) been (?:contacted|touched|called))(?: (?:in|for|since|during|over))?"
    rf"(?: the)? {_PERIOD}"
)
INACTIVE_BARE = re.compile(r"\b(?:with )?(?:no activity|untouched|never contacted)\b")
CREATED = re.compile(rf"\b(?:(?:created|added|came in|arrived|new) )?(?:in |from )?{_PERIOD}\b")
NAMED = re.compile(r"\b(?:named|called|name is)\s+(\"[^\"]{1,60}\"|[\w.@+'\-]{2,60})", re.I)
OWNER_ME = re.compile(r"\b(?:my|mine|assigned to me|owned by me)\b")
OWNER_NONE = re.compile(
    r"\b(?:unassigned|no owner|without (?:an )?owner|nobody'?s|not assigned|unowned)\b"
)
OWNER_PREFIX = r"(?:owned by|assigned to|belonging to|for|of)"


@dataclass(frozen=True)
class Chip:
    """One applied filter, as the leads list shows it (removable, editable)."""

    label: str
    param: str
    value: str


@dataclass
class AskResult:
    question: str
    filters: dict[str, Any]  # leads-list query parameters: str, or list[str] for `status`
    chips: list[Chip]
    unknown: list[str]  # words not understood
    engine: str
    unsupported: list[str] = field(default_factory=list)  # understood, but not on the list
    usage_id: int | None = None

    def query_string(self) -> str:
        return urlencode(self.filters, doseq=True)


# --- what exists in this workspace ----------------------------------------------------------


class Vocabulary:
    """The values a question may name, read once per question (a few small queries)."""

    def __init__(self, *, user) -> None:
        self.user = user
        self.today = timezone.localdate()

    @cached_property
    def supported(self) -> set[str]:
        """LeadFilters fields: optional filters (city, region, no_activity_since) are emitted
        only once the leads list has them."""
        return {f.name for f in dataclasses.fields(LeadFilters)}

    @cached_property
    def users(self) -> list:
        return list(user_list_active()[:500])

    @cached_property
    def sources(self) -> list[str]:
        return lead_source_list()

    @cached_property
    def places(self) -> tuple[list[str], list[str]]:
        contacts = Contact.objects.filter(leads__isnull=False)
        cities = contacts.exclude(city="").values_list("city", flat=True).distinct()[:1000]
        regions = contacts.exclude(region="").values_list("region", flat=True).distinct()[:200]
        by_length = {"key": len, "reverse": True}  # "West Palm Beach" before "Palm Beach"
        return sorted(set(cities), **by_length), sorted(set(regions), **by_length)

    @cached_property
    def custom(self) -> dict:
        return custom_field_map(entity=Entity.LEAD)

    def user_named(self, text: str):
        text = text.strip().lower().strip("'\"")
        if not text:
            return None
        for user in self.users:
            names = {user.email.lower(), user.email.split("@")[0].lower()}
            if user.full_name:
                names |= {user.full_name.lower(), user.full_name.split()[0].lower()}
            if text in names:
                return user
        return None


# --- the rules ------------------------------------------------------------------------------


@dataclass
class _Parse:
    text: str  # lower-cased question; matched spans are blanked out as they are used
    original: str
    values: dict[str, Any] = field(default_factory=dict)  # LeadFilterOut field -> value

    def take(self, match: re.Match, group: int | str = 0) -> None:
        start, end = match.span(group)
        self.text = self.text[:start] + " " * (end - start) + self.text[end:]

    def leftover(self) -> list[str]:
        words = re.findall(r"[a-zà-ÿ0-9][a-zà-ÿ0-9'\-]*", self.text)
        return list(dict.fromkeys(w for w in words if w.strip("'-") not in FILLER and len(w) > 1))


def _period(match: re.Match, today: date) -> tuple[date, date | None]:
    period = match.group("period")
    monday = today - timedelta(days=today.weekday())
    first = today.replace(day=1)
    if period == "today":
        return today, today
    if period == "yesterday":
        return today - timedelta(days=1), today - timedelta(days=1)
    if period == "this week":
        return monday, None
    if period == "last week":
        return monday - timedelta(days=7), monday - timedelta(days=1)
    if period == "this month":
        return first, None
    if period == "last month":
        previous_end = first - timedelta(days=1)
        return previous_end.replace(day=1), previous_end
    if match.group("iso"):
        return date.fromisoformat(match.group("iso")), None
    raw = match.group("n1") or match.group("n2")
    count = int(raw) if raw.isdigit() else _NUMBER_WORDS.get(raw, 1)
    unit = match.group("u1") or match.group("u2")
    days = count * (7 if unit.startswith("week") else 30 if unit.startswith("month") else 1)
    return today - timedelta(days=days), None


def _phrase(value: str) -> re.Pattern:
    return re.compile(rf"(?<![\w]){re.escape(value.lower())}(?![\w])")


def rules_parse(question: str, vocab: Vocabulary) -> tuple[dict[str, Any], list[str]]:
    """(LeadFilterOut-shaped values, words left over)."""
    p = _Parse(text=question.lower(), original=question)
    today = vocab.today
    try:
        for pattern in (INACTIVE,):
            if match := pattern.search(p.text):
                since, _ = _period(match, today)
                p.values["no_activity_since"] = since.isoformat()
                p.take(match)
        if "no_activity_since" not in p.values and (match := INACTIVE_BARE.search(p.text)):
            p.values["no_activity_since"] = (today - timedelta(days=7)).isoformat()
            p.take(match)
        if match := CREATED.search(p.text):
            start, end = _period(match, today)
            p.values["created_from"] = start.isoformat()
            if end is not None:
                p.values["created_to"] = end.isoformat()
            p.take(match)
    except ValueError:  # "since 2026-13-45": leave the words for the unknown list
        pass
    if match := NAMED.search(p.original):
        p.values["name"] = match.group(1).strip('"')
        p.take(match)
    for pattern, sort, _label in SORT_WORDS:
        if match := re.search(pattern, p.text):
            p.values.setdefault("sort", sort)
            p.take(match)
    if match := re.search(r"\b(?:unscored|not scored(?: yet)?|no score)\b", p.text):
        p.values["temperature"] = UNSCORED
        p.take(match)
    for temperature in TEMPERATURES:
        if match := re.search(rf"\b{temperature}\b", p.text):
            p.values.setdefault("temperature", temperature)
            p.take(match)
    if match := OWNER_NONE.search(p.text):
        p.values["owner"] = "none"
        p.take(match)
    elif match := OWNER_ME.search(p.text):
        p.values["owner"] = "me"
        p.take(match)
    else:
        _owner_by_name(p, vocab)
    statuses: list[str] = []
    for word, values in sorted(STATUS_WORDS.items(), key=lambda kv: -len(kv[0])):
        if match := re.search(rf"\b{word}\b", p.text):
            statuses += [v for v in values if v not in statuses]
            p.take(match)
    if statuses:
        p.values["statuses"] = statuses
    for source in sorted(vocab.sources, key=len, reverse=True):
        for spelling in {source.lower(), re.sub(r"[_\-]+", " ", source.lower())}:
            if match := _phrase(spelling).search(p.text):
                p.values.setdefault("source", source)
                p.take(match)
    _places(p, vocab)
    _custom_choices(p, vocab)
    return p.values, p.leftover()


def _owner_by_name(p: _Parse, vocab: Vocabulary) -> None:
    for match in re.finditer(rf"\b{OWNER_PREFIX}\s+([\w.@+\-]+(?:\s[\w\-]+)?)", p.text):
        words = match.group(1).split()
        for candidate in (" ".join(words), words[0]):
            user = vocab.user_named(candidate)
            if user is not None:
                p.values["owner"] = str(user.pk)
                span = match.start(1) + len(candidate)
                p.text = p.text[: match.start()] + " " * (span - match.start()) + p.text[span:]
                return
    for match in re.finditer(r"\b([\w.\-]+)'s\b", p.text):
        user = vocab.user_named(match.group(1))
        if user is not None:
            p.values["owner"] = str(user.pk)
            p.take(match)
            return


def _places(p: _Parse, vocab: Vocabulary) -> None:
    cities, regions = vocab.places
    for city in cities:
        if match := _phrase(city).search(p.text):
            p.values["city"] = city
            p.take(match)
            break
    for region in regions:
        if len(region) <= 2:
            # "IN", "ME", "OR" are words too: a state code counts only when written in capitals.
            match = re.search(rf"(?<![\w]){re.escape(region.upper())}(?![\w])", p.original)
        else:
            match = _phrase(region).search(p.text)
        if match:
            p.values["region"] = region
            p.take(match)
            break


def _custom_choices(p: _Parse, vocab: Vocabulary) -> None:
    custom: dict[str, str] = {}
    for key, definition in vocab.custom.items():
        if definition.field_type != FieldType.CHOICE:
            continue
        for choice in sorted(map(str, definition.choices or []), key=len, reverse=True):
            if len(choice) >= 3 and (match := _phrase(choice).search(p.text)):
                custom[key] = choice
                p.take(match)
                break
    if custom:
        p.values["custom"] = custom


# --- checking values and building the query ---------------------------------------------------


def _iso(value: Any) -> date | None:
    try:
        return date.fromisoformat(str(value)) if value else None
    except ValueError:
        return None


def _match_value(value: Any, allowed: list[str]) -> str | None:
    wanted = str(value or "").strip().lower()
    return next((a for a in allowed if a.lower() == wanted), None) if wanted else None


def filters_build(values: dict[str, Any], vocab: Vocabulary) -> tuple[dict, list[Chip], list[str]]:
    """Checked leads-list parameters, their chips, and what was understood but dropped
    (`rejected`: a value that does not exist, or a filter the list does not have yet)."""
    params: dict[str, Any] = {}
    chips: list[Chip] = []
    rejected: list[str] = []
    supported = vocab.supported
    labels = dict(LeadStatus.choices)

    statuses = [s for s in values.get("statuses") or [] if isinstance(s, str)]
    good = [s.lower() for s in statuses if s.lower() in labels]
    rejected += [f"status {s}" for s in statuses if s.lower() not in labels]
    if good:
        params["status"] = list(dict.fromkeys(good))
        chips += [Chip(f"Status: {labels[s]}", "status", s) for s in params["status"]]
    temperature = str(values.get("temperature") or "").lower()
    if temperature in (*TEMPERATURES, UNSCORED):
        params["temperature"] = temperature
        text = "not scored yet" if temperature == UNSCORED else temperature
        chips.append(Chip(f"Temperature: {text}", "temperature", temperature))
    elif temperature:
        rejected.append(f"temperature {temperature}")
    owner = str(values.get("owner") or "").strip()
    if owner:
        if owner.lower() in ("me", "none"):
            params["owner"] = owner.lower()
            chips.append(Chip("Owner: me" if owner.lower() == "me" else "No owner", "owner",
                              owner.lower()))  # fmt: skip
        else:
            user = next((u for u in vocab.users if str(u.pk) == owner), None) or vocab.user_named(
                owner
            )
            if user is None:
                rejected.append(f"owner {owner}")
            else:
                params["owner"] = str(user.pk)
                chips.append(Chip(f"Owner: {user.get_full_name()}", "owner", str(user.pk)))
    if values.get("source"):
        source = _match_value(values["source"], vocab.sources)
        if source is None:
            rejected.append(f"source {values['source']}")
        else:
            params["source"] = source
            chips.append(Chip(f"Source: {source}", "source", source))
    for name, label in (("created_from", "Created from"), ("created_to", "Created until")):
        if values.get(name):
            day = _iso(values[name])
            if day is None:
                rejected.append(f"{name} {values[name]}")
            else:
                params[name] = day.isoformat()
                chips.append(Chip(f"{label} {day:%a %-d %b}", name, day.isoformat()))
    if values.get("no_activity_since"):
        day = _iso(values["no_activity_since"])
        if day is None:
            rejected.append(f"no activity since {values['no_activity_since']}")
        elif "no_activity_since" in supported:
            params["no_activity_since"] = day.isoformat()
            chips.append(
                Chip(f"No activity since {day:%a %-d %b}", "no_activity_since", day.isoformat())
            )
        else:
            rejected.append(f"no activity since {day:%a %-d %b} (not a leads-list filter yet)")
    cities, regions = vocab.places
    for name, allowed, label in (("city", cities, "City"), ("region", regions, "State")):
        if not values.get(name):
            continue
        place = _match_value(values[name], allowed)
        if place is None:
            rejected.append(f"{label.lower()} {values[name]}")
        elif name in supported:
            params[name] = place
            chips.append(Chip(f"{label}: {place}", name, place))
        elif name in vocab.custom and vocab.custom[name].field_type == FieldType.TEXT:
            params[f"cf_{name}"] = place  # the workspace keeps it as a custom field
            chips.append(Chip(f"{label}: {place}", f"cf_{name}", place))
        else:
            rejected.append(f"{label.lower()} {place} (not a leads-list filter yet)")
    if values.get("name"):
        name = str(values["name"]).strip()[:60]
        params["q"] = name
        chips.append(Chip(f"Name: {name}", "q", name))
    custom = values.get("custom") or {}
    for key, value in custom.items() if isinstance(custom, dict) else ():
        definition = vocab.custom.get(str(key))
        value = str(value).strip()
        if definition is None or not value:
            rejected.append(f"field {key}")
            continue
        if definition.field_type == FieldType.CHOICE:
            value = _match_value(value, [str(c) for c in definition.choices or []])
        elif definition.field_type == FieldType.BOOLEAN:
            value = {"true": "true", "yes": "true", "false": "false", "no": "false"}.get(
                value.lower()
            )
        elif definition.field_type != FieldType.TEXT:
            value = None  # number and date ranges: set them on the list itself
        if value is None:
            rejected.append(f"{definition.label} {custom[key]}")
            continue
        params[f"cf_{key}"] = value
        chips.append(Chip(f"{definition.label}: {value}", f"cf_{key}", value))
    sort = str(values.get("sort") or "")
    sort_labels = {s: label for _, s, label in SORT_WORDS}
    if sort in sort_labels:
        params["sort"] = sort
        chips.append(Chip(f"Sort: {sort_labels[sort]}", "sort", sort))
    elif sort:
        rejected.append(f"sort {sort}")
    return params, chips, rejected


# --- the service ------------------------------------------------------------------------------


def _prompt_variables(question: str, vocab: Vocabulary) -> dict[str, str]:
    custom = [
        f"{d.key} ({d.label}: {', '.join(map(str, d.choices or [])) or d.field_type})"
        for d in vocab.custom.values()
    ]
    return {
        "today": vocab.today.isoformat(),
        "rep": vocab.user.get_full_name() if vocab.user is not None else "",
        "statuses": ", ".join(LeadStatus.values),
        "owners": ", ".join(u.get_full_name() for u in vocab.users[:100]),
        "sources": ", ".join(vocab.sources[:100]),
        "custom_fields": "; ".join(custom[:40]),
        "question": question,
    }


def ask_crm_parse(*, question: str, user) -> AskResult:
    """The filter a question asks for. Rules first; an AI provider reads what they left."""
    from intelligence.ai.builtin import ENGINE_LABEL
    from intelligence.ai.services import ai_structured

    question = " ".join(str(question or "").split())[:MAX_QUESTION]
    vocab = Vocabulary(user=user)
    values, unknown = rules_parse(question, vocab)
    engine, usage_id = ENGINE_LABEL, None
    if unknown:
        result = ai_structured(
            feature=FEATURE,
            prompt_key=ASK_PROMPT.key,
            variables=_prompt_variables(question, vocab),
            schema=LeadFilterOut,
            user=user,
        )
        usage_id = result.usage_id
        if result.ok and not result.is_builtin and result.data is not None:
            engine = result.engine
            model_values = {k: v for k, v in result.data.items() if v not in (None, "", [], {})}
            unknown = [str(w) for w in model_values.pop("unrecognized", [])][:20]
            values = {**model_values, **values}  # the rules' readings stand
    params, chips, rejected = filters_build(values, vocab)
    return AskResult(
        question=question,
        filters=params,
        chips=chips,
        unknown=unknown,
        engine=engine,
        unsupported=rejected,
        usage_id=usage_id,
    )


def _builtin_ask(request: BuiltinRequest) -> LeadFilterOut:
    """Offline: the same rules (used when no provider is configured or one fails)."""
    vocab = Vocabulary(user=request.user)
    values, unknown = rules_parse(str(request.variables.get("question", "")), vocab)
    return LeadFilterOut(**values, unrecognized=unknown)


builtin_register(ASK_PROMPT.key, _builtin_ask)
