"""The notification centre: thin views over the services and selectors."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from .selectors import notification_list, notification_unread_count
from .services import notification_mark_all_read, notification_mark_read


@login_required
def notification_centre(request: HttpRequest) -> HttpResponse:
    context = {
        "notifications": notification_list(user_id=request.user.pk),
        "unread": notification_unread_count(user_id=request.user.pk),
    }
    return render(request, "notifications/centre.html", context)


@login_required
@require_POST
def notification_read(request: HttpRequest, notification_id: int) -> HttpResponse:
    notification = notification_mark_read(user_id=request.user.pk, notification_id=notification_id)
    if notification is None:
        raise Http404("No such notification.")
    # "Open" marks it read and follows its link; a plain "mark read" comes back here.
    target = notification.url if request.POST.get("open") else ""
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return redirect(target)
    return redirect("notifications:centre")


@login_required
@require_POST
def notification_read_all(request: HttpRequest) -> HttpResponse:
    notification_mark_all_read(user_id=request.user.pk)
    return redirect("notifications:centre")
