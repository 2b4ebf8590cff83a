"""`{% load drafting %}{% draft_panel lead %}`: the "Draft a message" panel for a lead,
contact or deal page. It renders nothing when the user may not edit the record or drafting is
off for them, so a page can include it unconditionally."""

from __future__ import annotations

from django import template

from crm.web import can_edit
from intelligence.ai.services import ai_feature_enabled

from ..drafting import CHANNELS, FEATURE, PURPOSES, TONES
from ..segments import GSM7_BASIC, GSM7_EXTENSION

register = template.Library()

PURPOSE_LABELS = {
    "follow_up": "Follow up",
    "book_meeting": "Book a meeting",
    "re_engage": "Re-engage",
    "answer_question": "Answer their question",
    "send_quote": "Send a quote",
}


@register.inclusion_tag("language/_draft_panel.html", takes_context=True)
def draft_panel(context, record) -> dict:
    user = context.get("user")
    show = bool(
        record is not None
        and user is not None
        and user.is_authenticated
        and can_edit(user, record)
        and ai_feature_enabled(feature=FEATURE, user=user)
    )
    return {
        "show": show,
        "record_type": record._meta.model_name if record is not None else "",
        "record_id": getattr(record, "pk", None),
        "purposes": [(key, PURPOSE_LABELS.get(key, key)) for key in PURPOSES],
        "tones": TONES,
        "channels": CHANNELS,
        "csrf_token": context.get("csrf_token"),
        # The JS counts segments with the same tables as the server (segments.py).
        "gsm_basic": "".join(sorted(GSM7_BASIC)),
        "gsm_extension": "".join(sorted(GSM7_EXTENSION)),
    }
