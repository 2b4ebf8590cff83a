"""Rep-UI actions on scores (the panels themselves are template tags, see templatetags/)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from crm.leads.selectors import lead_get_for_ui
from crm.web import require_edit

from .rescoring import lead_rescore
from .templatetags.lead_intelligence import lead_score_panel_context


@login_required
@require_POST
def lead_rescore_view(request: HttpRequest, lead_id: int) -> HttpResponse:
    """Rescore one lead now (whoever may edit the lead); HTMX gets the refreshed panel."""
    lead = lead_get_for_ui(lead_id=lead_id)
    if lead is None:
        raise Http404("No such lead in this workspace.")
    require_edit(request.user, lead)
    lead_rescore(lead_ids=[lead.pk])
    if not getattr(request, "htmx", False):
        return redirect("leads:detail", lead_id=lead.pk)
    context = lead_score_panel_context(lead=lead, can_edit=True)
    return render(request, "intelligence/_lead_score_panel.html", context)
