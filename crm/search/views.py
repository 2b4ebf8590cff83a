"""The header search box: the full results page and the as-you-type partial."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.views.decorators.http import require_GET

from crm.web import render_htmx

from .selectors import search_grouped, search_query
from .text import MAX_QUERY_LENGTH

PAGE_LIMIT = 60
PARTIAL_LIMIT = 8  # a dropdown under the box, not a page


@login_required
@require_GET
def search_page(request: HttpRequest) -> HttpResponse:
    q = request.GET.get("q", "")[: MAX_QUERY_LENGTH * 2]
    htmx = getattr(request, "htmx", None)
    as_you_type = bool(htmx and not htmx.boosted)
    hits = search_query(
        q=q,
        region=request.tenant.default_phone_region,
        limit=PARTIAL_LIMIT if as_you_type else PAGE_LIMIT,
    )
    context = {"q": q.strip(), "groups": search_grouped(hits), "count": len(hits)}
    return render_htmx(
        request, full="search/page.html", partial="search/_results.html", context=context
    )
