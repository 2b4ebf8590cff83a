"""The rep UI's contact and company pages: profile, consent, timeline, related records, and
quick actions (call, note, task, edit in place) through the services. HTMX swaps the page's
body (#contact-body / #company-body); without JavaScript the forms post and redirect."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from crm.activities.models import Activity
from crm.activities.selectors import timeline_entries
from crm.activities.services import activity_log, task_create
from crm.deals.selectors import deal_list_for_company, deal_list_for_contact
from crm.leads.forms import CallForm, ContactFieldsForm, NoteForm, TaskForm, add_service_errors
from crm.leads.selectors import lead_list_for_company, lead_list_for_contact
from crm.web import INVALID, can_edit, render_htmx, require_edit

from .forms import CompanyProfileForm
from .selectors import company_list, consent_status, contact_list
from .services import company_update, contact_update


def _contact_or_404(contact_id: int):
    contact = contact_list().filter(pk=contact_id).first()
    if contact is None:
        raise Http404("No such contact in this workspace.")
    return contact


def _company_or_404(company_id: int):
    company = company_list().filter(pk=company_id).first()
    if company is None:
        raise Http404("No such company in this workspace.")
    return company


# --- the activity-style actions both pages share --------------------------------------------


def _do_call(request, form, **record) -> None:
    minutes = form.cleaned_data["minutes"]
    activity_log(
        kind=Activity.Kind.CALL,
        direction=form.cleaned_data["direction"],
        subject=form.cleaned_data["subject"],
        body=form.cleaned_data["body"],
        actor=request.user,
        duration_seconds=minutes * 60 if minutes is not None else None,
        **record,
    )


def _do_note(request, form, **record) -> None:
    activity_log(kind=Activity.Kind.NOTE, body=form.cleaned_data["body"], actor=request.user,
                 **record)  # fmt: skip


def _do_task(request, form, **record) -> None:
    task_create(
        title=form.cleaned_data["title"],
        due_at=form.cleaned_data["due_at"],
        priority=form.cleaned_data["priority"],
        actor=request.user,
        **record,
    )


def _run_action(request, action: str, *, form_class, run, record: dict, extra: dict):
    """Parse the form and run the service in one transaction; the form carries any errors."""
    form = form_class(request.POST, prefix=action, **extra)
    if form.is_valid():
        try:
            with transaction.atomic():
                run(request, form, **record)
        except ValidationError as exc:
            add_service_errors(form, exc)
    return form


# --- contact ------------------------------------------------------------------------------


def _contact_context(request: HttpRequest, contact, bound: dict | None = None) -> dict:
    bound = bound or {}
    initial = {n: getattr(contact, n) for n in ContactFieldsForm.CONTACT_FIELDS}
    return {
        "contact": contact,
        "can_edit": can_edit(request.user, contact),
        "consent": consent_status(contact=contact),
        "timeline": timeline_entries(contact=contact),
        "leads": lead_list_for_contact(contact=contact),
        "deals": deal_list_for_contact(contact=contact),
        "open_action": next(iter(bound), ""),
        "forms": {
            "call": bound.get("call") or CallForm(prefix="call"),
            "note": bound.get("note") or NoteForm(prefix="note"),
            "task": bound.get("task") or TaskForm(prefix="task"),
            "edit": bound.get("edit") or ContactFieldsForm(prefix="edit", initial=initial),
        },
    }


@login_required
def contact_detail(request: HttpRequest, contact_id: int) -> HttpResponse:
    contact = _contact_or_404(contact_id)
    return render(request, "contacts/contact_detail.html", _contact_context(request, contact))


def _do_contact_edit(request, form, *, contact) -> None:
    contact_update(contact=contact, changes=form.contact_changes(), actor=request.user,
                   origin="ui")  # fmt: skip


CONTACT_ACTIONS = {
    "call": (CallForm, _do_call),
    "note": (NoteForm, _do_note),
    "task": (TaskForm, _do_task),
    "edit": (ContactFieldsForm, _do_contact_edit),
}


@login_required
@require_POST
def contact_action(request: HttpRequest, contact_id: int, action: str) -> HttpResponse:
    """Log a call, add a note, create a task or edit the basics of a contact."""
    if action not in CONTACT_ACTIONS:
        raise Http404("Unknown action.")
    contact = _contact_or_404(contact_id)
    require_edit(request.user, contact)
    form_class, run = CONTACT_ACTIONS[action]
    form = _run_action(request, action, form_class=form_class, run=run, record={"contact": contact},
                       extra={})  # fmt: skip
    contact = _contact_or_404(contact_id)  # fresh: a failed write may have changed it in memory
    return _action_response(request, kind="contact", record=contact, action=action, form=form,
                            build_context=_contact_context)  # fmt: skip


# --- company ------------------------------------------------------------------------------


def _company_context(request: HttpRequest, company, bound: dict | None = None) -> dict:
    bound = bound or {}
    initial = {n: getattr(company, n) for n in CompanyProfileForm.COMPANY_FIELDS if n != "owner"}
    initial["owner"] = company.owner_id
    return {
        "company": company,
        "can_edit": can_edit(request.user, company),
        "contacts": contact_list().filter(company=company),
        "leads": lead_list_for_company(company=company),
        "deals": deal_list_for_company(company=company),
        "timeline": timeline_entries(company=company),
        "open_action": next(iter(bound), ""),
        "forms": {
            "call": bound.get("call") or CallForm(prefix="call"),
            "note": bound.get("note") or NoteForm(prefix="note"),
            "task": bound.get("task") or TaskForm(prefix="task"),
            "edit": bound.get("edit")
            or CompanyProfileForm(
                prefix="edit", initial=initial, can_assign=request.user.is_manager
            ),
        },
    }


@login_required
def company_detail(request: HttpRequest, company_id: int) -> HttpResponse:
    company = _company_or_404(company_id)
    return render(request, "contacts/company_detail.html", _company_context(request, company))


def _do_company_edit(request, form, *, company) -> None:
    company_update(company=company, changes=form.company_changes(), actor=request.user,
                   origin="ui")  # fmt: skip


COMPANY_ACTIONS = {
    "call": (CallForm, _do_call),
    "note": (NoteForm, _do_note),
    "task": (TaskForm, _do_task),
    "edit": (CompanyProfileForm, _do_company_edit),
}


@login_required
@require_POST
def company_action(request: HttpRequest, company_id: int, action: str) -> HttpResponse:
    """Log a call, add a note, create a task or edit the basics of a company."""
    if action not in COMPANY_ACTIONS:
        raise Http404("Unknown action.")
    company = _company_or_404(company_id)
    require_edit(request.user, company)
    form_class, run = COMPANY_ACTIONS[action]
    extra = {"can_assign": request.user.is_manager} if action == "edit" else {}
    form = _run_action(request, action, form_class=form_class, run=run, record={"company": company},
                       extra=extra)  # fmt: skip
    company = _company_or_404(company_id)  # fresh: a failed write may have changed it in memory
    return _action_response(request, kind="company", record=company, action=action, form=form,
                            build_context=_company_context)  # fmt: skip


def _action_response(request: HttpRequest, *, kind: str, record, action: str, form,
                     build_context) -> HttpResponse:  # fmt: skip
    """The shared end of a contact or company quick action: the form again with its errors
    (422), else the fresh page body (htmx) or a redirect to the page (no JavaScript)."""
    full, partial = f"contacts/{kind}_detail.html", f"contacts/_{kind}_body.html"
    if form.errors:
        context = build_context(request, record, bound={action: form})
        return render_htmx(request, full=full, partial=partial, context=context, status=INVALID)
    if not request.htmx:
        return redirect(f"contacts:{kind}", **{f"{kind}_id": record.pk})
    return render(request, partial, build_context(request, record))
