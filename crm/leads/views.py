"""The rep UI's lead pages: list (filters, search, bulk actions, saved views), create, detail.
Views parse input, check who may edit, call services/selectors and render; nothing else."""

from __future__ import annotations

from datetime import date
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST

from crm.activities.models import Activity
from crm.activities.selectors import timeline_entries
from crm.activities.services import activity_log, task_create
from crm.contacts.normalize import normalize_email, normalize_phone
from crm.contacts.selectors import consent_status, identity_find_duplicates
from crm.contacts.services import contact_create, contact_update
from crm.customfields.models import Entity, FieldType
from crm.customfields.selectors import custom_field_map
from crm.deals.selectors import deal_list_for_contact
from crm.team.selectors import user_list_active
from crm.web import INVALID, can_edit, render_htmx, require_edit

from . import forms as lead_forms
from .models import Lead, LeadSavedView, LeadStatus
from .selectors import (
    LEAD_SORTS,
    TEMPERATURES,
    UNSCORED,
    LeadFilters,
    lead_get_for_ui,
    lead_list_filtered,
    lead_list_for_contact,
    lead_saved_view_list,
    lead_source_list,
)
from .services import (
    lead_convert,
    lead_create,
    lead_saved_view_delete,
    lead_saved_view_save,
    lead_transition,
    lead_update,
)

PAGE_SIZE = 25
FILTER_PARAMS = ("q", "status", "owner", "source", "created_from", "created_to", "sort",
                 "temperature")  # fmt: skip


# --- list ---------------------------------------------------------------------------------


def _date_param(value: str | None) -> date | None:
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        return None  # a hand-edited URL: ignore the filter rather than fail the page


def _number_param(value: str | None) -> float | None:
    try:
        return float(value) if value not in (None, "") else None
    except ValueError:
        return None


def _custom_filters(params, definitions) -> dict:
    values: dict = {}
    for key, definition in definitions.items():
        name = f"cf_{key}"
        if definition.field_type == FieldType.NUMBER:
            low, high = (
                _number_param(params.get(f"{name}_min")),
                _number_param(params.get(f"{name}_max")),
            )
            if low is not None or high is not None:
                values[key] = (low, high)
        elif definition.field_type == FieldType.DATE:
            low, high = (
                _date_param(params.get(f"{name}_min")),
                _date_param(params.get(f"{name}_max")),
            )
            if low or high:
                values[key] = (low and low.isoformat(), high and high.isoformat())
        elif definition.field_type == FieldType.BOOLEAN:
            if params.get(name) in ("true", "false"):
                values[key] = params.get(name) == "true"
        elif params.get(name, "").strip():
            values[key] = params.get(name).strip()
    return values


def _filters_from(params, definitions) -> LeadFilters:
    sort = params.get("sort", "-created")
    if sort.lstrip("-") not in LEAD_SORTS:
        sort = "-created"
    return LeadFilters(
        q=params.get("q", "")[:200],
        statuses=params.getlist("status"),
        owner=params.get("owner", ""),
        source=params.get("source", "").strip(),
        created_from=_date_param(params.get("created_from")),
        created_to=_date_param(params.get("created_to")),
        custom=_custom_filters(params, definitions),
        sort=sort,
        temperature=_temperature_param(params.get("temperature", "")),
        city=params.get("city", "").strip()[:120],
        region=params.get("region", "").strip()[:120],
        no_activity_since=_date_param(params.get("no_activity_since")),
    )


def _temperature_param(value: str) -> str:
    return value if value in (*TEMPERATURES, UNSCORED) else ""


def _query_without(params, *names: str) -> str:
    """The current query string minus some keys (used to build sort and page links)."""
    kept = [(k, v) for k in params for v in params.getlist(k) if k not in names]
    return urlencode(kept)


def _list_context(request: HttpRequest) -> dict:
    definitions = custom_field_map(entity=Entity.LEAD)
    filters = _filters_from(request.GET, definitions)
    leads = lead_list_filtered(
        filters=filters,
        user=request.user,
        region=request.tenant.default_phone_region,
        custom_definitions=definitions,
    )
    page = Paginator(leads, PAGE_SIZE).get_page(request.GET.get("page"))
    return {
        "page": page,
        "filters": filters,
        "statuses": LeadStatus.choices,
        "owners": user_list_active(),
        "sources": lead_source_list(),
        "custom_fields": list(definitions.values()),
        "saved_views": lead_saved_view_list(user=request.user),
        "query_no_page": _query_without(request.GET, "page"),
        "query_no_sort": _query_without(request.GET, "page", "sort"),
        "query_filters": _query_without(request.GET, "page", "csrfmiddlewaretoken"),
        "sorts": [
            ("name", "Name"),
            ("status", "Status"),
            ("source", "Source"),
            ("owner", "Owner"),
            ("value", "Value"),
            ("created", "Created"),
            ("score", "Score"),
        ],
        "temperatures": [
            ("hot", "Hot"),
            ("warm", "Warm"),
            ("cold", "Cold"),
            (UNSCORED, "Not scored yet"),
        ],
    }


@login_required
def lead_list(request: HttpRequest) -> HttpResponse:
    return render_htmx(
        request, full="leads/list.html", partial="leads/_table.html", context=_list_context(request)
    )


@login_required
@require_POST
def lead_bulk(request: HttpRequest) -> HttpResponse:
    """Assign or change the status of the selected leads; each refusal is reported by row."""
    ids = [int(i) for i in request.POST.getlist("ids") if i.isdigit()]
    action = request.POST.get("action", "")
    back = reverse("leads:list") + "?" + request.POST.get("back", "")
    if not ids or action not in ("assign", "status"):
        messages.error(request, "Select leads and an action.")
        return redirect(back)
    owner = None
    if action == "assign" and request.POST.get("owner"):
        owner = user_list_active().filter(pk=request.POST.get("owner")).first()
        if owner is None:
            messages.error(request, "Pick an owner from the list.")
            return redirect(back)
    done, refused = 0, []
    for lead in Lead.objects.select_related("contact").filter(pk__in=ids).order_by("pk"):
        if not can_edit(request.user, lead):
            refused.append(f"{lead.contact}: only its owner or a manager can change it.")
            continue
        try:
            if action == "assign":
                lead_update(lead=lead, changes={"owner": owner}, actor=request.user, origin="ui")
            else:
                lead_transition(
                    lead=lead,
                    to_status=request.POST.get("to_status", ""),
                    reason=request.POST.get("reason", ""),
                    actor=request.user,
                    origin="ui",
                )
            done += 1
        except ValidationError as exc:
            refused.append(f"{lead.contact}: {' '.join(exc.messages)}")
    if done:
        messages.success(request, f"Updated {done} lead{'s' if done != 1 else ''}.")
    for line in refused:
        messages.error(request, line)
    return redirect(back)


@login_required
@require_POST
def saved_view_save(request: HttpRequest) -> HttpResponse:
    query = request.POST.get("query", "")
    try:
        lead_saved_view_save(user=request.user, name=request.POST.get("name", ""), query=query)
        messages.success(request, "View saved.")
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    return redirect(reverse("leads:list") + ("?" + query if query else ""))


@login_required
@require_POST
def saved_view_delete(request: HttpRequest, view_id: int) -> HttpResponse:
    view = get_object_or_404(LeadSavedView, pk=view_id, user=request.user)
    lead_saved_view_delete(view=view)
    messages.success(request, "View removed.")
    return redirect("leads:list")


# --- create -------------------------------------------------------------------------------


def _duplicates_for(form: lead_forms.LeadCreateForm, region: str) -> list:
    """Existing contacts with the typed email or phone (normalised like the services do)."""
    try:
        email = normalize_email(form.cleaned_data["email"])
        phone = normalize_phone(form.cleaned_data["phone"], region=region)
    except ValidationError:
        return []  # contact_create reports the malformed value next to its field
    return list(identity_find_duplicates(email=email, phone=phone)[:5])


@login_required
@require_http_methods(["GET", "POST"])
def lead_new(request: HttpRequest) -> HttpResponse:
    can_assign = request.user.is_manager
    form = lead_forms.LeadCreateForm(
        request.POST if request.method == "POST" else None,
        can_assign=can_assign,
        initial={"owner": request.user.pk},
    )
    duplicates: list = []
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        existing = None
        if data["use_contact"]:
            existing = (
                identity_find_duplicates(
                    email=normalize_email(data["email"]) if data["email"] else "",
                    phone=_safe_phone(data["phone"], request.tenant.default_phone_region),
                )
                .filter(pk=data["use_contact"])
                .first()
            )
        elif not data["create_anyway"]:
            duplicates = _duplicates_for(form, request.tenant.default_phone_region)
        if not duplicates:
            lead_fields = form.lead_changes()
            if not can_assign:
                lead_fields["owner"] = request.user
            try:
                with transaction.atomic():  # contact and lead are saved together or not at all
                    contact = existing or contact_create(
                        actor=request.user, origin="ui", owner=lead_fields["owner"],
                        **form.contact_changes(),
                    )  # fmt: skip
                    lead = lead_create(
                        contact=contact, actor=request.user, origin="ui", **lead_fields
                    )
            except ValidationError as exc:
                lead_forms.add_service_errors(form, exc)
            else:
                messages.success(request, "Lead created.")
                return redirect("leads:detail", lead_id=lead.pk)
    status = INVALID if request.method == "POST" else 200
    return render(
        request, "leads/new.html", {"form": form, "duplicates": duplicates}, status=status
    )


def _safe_phone(value: str, region: str) -> str:
    try:
        return normalize_phone(value, region=region)
    except ValidationError:
        return ""


# --- detail and quick actions -------------------------------------------------------------


def _lead_or_404(lead_id: int) -> Lead:
    lead = lead_get_for_ui(lead_id=lead_id)
    if lead is None:
        raise Http404("No such lead in this workspace.")
    return lead


def _detail_context(request: HttpRequest, lead: Lead, bound: dict | None = None) -> dict:
    bound = bound or {}
    editable = can_edit(request.user, lead)
    contact = lead.contact
    profile_initial = {
        "first_name": contact.first_name,
        "last_name": contact.last_name,
        "email": contact.email,
        "phone": contact.phone,
        "source": lead.source,
        "interest": lead.interest,
        "estimated_value": lead.estimated_value,
        "owner": lead.owner_id,
    }
    return {
        "lead": lead,
        "contact": contact,
        "can_edit": editable,
        "consent": consent_status(contact=contact),
        "timeline": timeline_entries(lead=lead),
        "other_leads": lead_list_for_contact(contact=contact).exclude(pk=lead.pk),
        "deals": deal_list_for_contact(contact=contact),
        "open_action": next(iter(bound), ""),
        "forms": {
            "call": bound.get("call") or lead_forms.CallForm(prefix="call"),
            "note": bound.get("note") or lead_forms.NoteForm(prefix="note"),
            "task": bound.get("task") or lead_forms.TaskForm(prefix="task"),
            "status": bound.get("status")
            or lead_forms.StatusForm(prefix="status", current=lead.status),
            "convert": bound.get("convert") or lead_forms.ConvertForm(prefix="convert"),
            "edit": bound.get("edit")
            or lead_forms.LeadProfileForm(
                prefix="edit", initial=profile_initial, can_assign=request.user.is_manager
            ),
        },
    }


@login_required
def lead_detail(request: HttpRequest, lead_id: int) -> HttpResponse:
    lead = _lead_or_404(lead_id)
    return render(request, "leads/detail.html", _detail_context(request, lead))


def _do_call(request, lead, form) -> None:
    minutes = form.cleaned_data["minutes"]
    activity_log(
        kind=Activity.Kind.CALL,
        direction=form.cleaned_data["direction"],
        subject=form.cleaned_data["subject"],
        body=form.cleaned_data["body"],
        lead=lead,
        actor=request.user,
        duration_seconds=minutes * 60 if minutes is not None else None,
    )


def _do_note(request, lead, form) -> None:
    activity_log(kind=Activity.Kind.NOTE, body=form.cleaned_data["body"], lead=lead,
                 actor=request.user)  # fmt: skip


def _do_task(request, lead, form) -> None:
    task_create(
        title=form.cleaned_data["title"],
        due_at=form.cleaned_data["due_at"],
        priority=form.cleaned_data["priority"],
        lead=lead,
        contact=lead.contact,
        actor=request.user,
    )


def _do_status(request, lead, form) -> None:
    lead_transition(
        lead=lead,
        to_status=form.cleaned_data["to_status"],
        reason=form.cleaned_data["reason"],
        actor=request.user,
        origin="ui",
    )


def _do_convert(request, lead, form) -> None:
    lead_convert(
        lead=lead,
        deal_name=form.cleaned_data["deal_name"],
        amount=form.cleaned_data["amount"],
        expected_close_date=form.cleaned_data["expected_close_date"],
        actor=request.user,
        origin="ui",
    )


@transaction.atomic
def _do_edit(request, lead, form) -> None:
    # The profile form edits the contact and the lead: both saved, or neither.
    contact_update(contact=lead.contact, changes=form.contact_changes(), actor=request.user,
                   origin="ui")  # fmt: skip
    lead_update(lead=lead, changes=form.lead_changes(), actor=request.user, origin="ui")


ACTIONS = {
    "call": (lead_forms.CallForm, _do_call),
    "note": (lead_forms.NoteForm, _do_note),
    "task": (lead_forms.TaskForm, _do_task),
    "status": (lead_forms.StatusForm, _do_status),
    "convert": (lead_forms.ConvertForm, _do_convert),
    "edit": (lead_forms.LeadProfileForm, _do_edit),
}


@login_required
@require_POST
def lead_action(request: HttpRequest, lead_id: int, action: str) -> HttpResponse:
    """One quick action (log a call, note, task, status, convert, edit) through its service.
    HTMX swaps the refreshed detail body; without JS the page reloads."""
    if action not in ACTIONS:
        raise Http404("Unknown action.")
    lead = _lead_or_404(lead_id)
    require_edit(request.user, lead)
    form_class, run = ACTIONS[action]
    extra = {"current": lead.status} if action == "status" else {}
    if action == "edit":
        extra = {"can_assign": request.user.is_manager}
    form = form_class(request.POST, prefix=action, **extra)
    if form.is_valid():
        try:
            with transaction.atomic():
                run(request, lead, form)
        except ValidationError as exc:
            lead_forms.add_service_errors(form, exc)
    if form.errors:
        lead = _lead_or_404(lead_id)  # fresh: a failed write may have changed it in memory
        context = _detail_context(request, lead, bound={action: form})
        return render_htmx(request, full="leads/detail.html", partial="leads/_detail_body.html",
                           context=context, status=INVALID)  # fmt: skip
    if not request.htmx:
        return redirect("leads:detail", lead_id=lead.pk)
    lead = _lead_or_404(lead_id)
    return render(request, "leads/_detail_body.html", _detail_context(request, lead))
