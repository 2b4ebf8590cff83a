"""The rep UI's contact and company pages: profile, consent, timeline, related records, and
a few quick actions (note, call, edit) through the services."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from crm.activities.models import Activity
from crm.activities.selectors import timeline_entries
from crm.activities.services import activity_log
from crm.deals.selectors import deal_list_for_company, deal_list_for_contact
from crm.leads.forms import CallForm, ContactFieldsForm, NoteForm, add_service_errors
from crm.leads.selectors import lead_list_for_company, lead_list_for_contact
from crm.web import INVALID, can_edit, require_edit

from .selectors import company_list, consent_status, contact_list
from .services import contact_update


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
            "edit": bound.get("edit") or ContactFieldsForm(prefix="edit", initial=initial),
        },
    }


@login_required
def contact_detail(request: HttpRequest, contact_id: int) -> HttpResponse:
    contact = _contact_or_404(contact_id)
    return render(request, "contacts/contact_detail.html", _contact_context(request, contact))


CONTACT_ACTIONS = {"call": CallForm, "note": NoteForm, "edit": ContactFieldsForm}


def _run_contact_action(request, contact, action: str, form) -> None:
    data = form.cleaned_data
    if action == "edit":
        contact_update(contact=contact, changes=form.contact_changes(), actor=request.user,
                       origin="ui")  # fmt: skip
    elif action == "note":
        activity_log(kind=Activity.Kind.NOTE, body=data["body"], contact=contact,
                     actor=request.user)  # fmt: skip
    else:
        minutes = data["minutes"]
        activity_log(
            kind=Activity.Kind.CALL,
            direction=data["direction"],
            subject=data["subject"],
            body=data["body"],
            contact=contact,
            actor=request.user,
            duration_seconds=minutes * 60 if minutes is not None else None,
        )


@login_required
@require_POST
def contact_action(request: HttpRequest, contact_id: int, action: str) -> HttpResponse:
    if action not in CONTACT_ACTIONS:
        raise Http404("Unknown action.")
    contact = _contact_or_404(contact_id)
    require_edit(request.user, contact)
    form = CONTACT_ACTIONS[action](request.POST, prefix=action)
    if form.is_valid():
        try:
            with transaction.atomic():
                _run_contact_action(request, contact, action, form)
        except ValidationError as exc:
            add_service_errors(form, exc)
    if form.errors:
        contact = _contact_or_404(contact_id)  # fresh: the failed write changed it in memory
        context = _contact_context(request, contact, bound={action: form})
        return render(request, "contacts/contact_detail.html", context, status=INVALID)
    return redirect("contacts:contact", contact_id=contact.pk)


@login_required
def company_detail(request: HttpRequest, company_id: int) -> HttpResponse:
    company = _company_or_404(company_id)
    context = {
        "company": company,
        "can_edit": can_edit(request.user, company),
        "contacts": contact_list().filter(company=company),
        "leads": lead_list_for_company(company=company),
        "deals": deal_list_for_company(company=company),
        "timeline": timeline_entries(company=company),
        "note_form": NoteForm(prefix="note"),
    }
    return render(request, "contacts/company_detail.html", context)


@login_required
@require_POST
def company_note(request: HttpRequest, company_id: int) -> HttpResponse:
    company = _company_or_404(company_id)
    require_edit(request.user, company)
    form = NoteForm(request.POST, prefix="note")
    if form.is_valid():
        try:
            activity_log(kind=Activity.Kind.NOTE, body=form.cleaned_data["body"],
                         company=company, actor=request.user)  # fmt: skip
        except ValidationError as exc:
            add_service_errors(form, exc)
    if form.errors:
        context = {
            "company": company,
            "can_edit": True,
            "contacts": contact_list().filter(company=company),
            "leads": lead_list_for_company(company=company),
            "deals": deal_list_for_company(company=company),
            "timeline": timeline_entries(company=company),
            "note_form": form,
        }
        return render(request, "contacts/company_detail.html", context, status=INVALID)
    return redirect("contacts:company", company_id=company.pk)
