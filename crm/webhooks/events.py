"""The domain events a partner may subscribe to, and the record each one is about."""

from __future__ import annotations

# event name -> (payload key the publisher sends, record kind)
EVENT_SUBJECTS: dict[str, tuple[str, str]] = {
    "lead.created": ("lead_id", "lead"),
    "lead.status_changed": ("lead_id", "lead"),
    "lead.assigned": ("lead_id", "lead"),
    "deal.created": ("deal_id", "deal"),
    "deal.stage_changed": ("deal_id", "deal"),
    "deal.won": ("deal_id", "deal"),
    "deal.lost": ("deal_id", "deal"),
    "contact.created": ("contact_id", "contact"),
    "contact.updated": ("contact_id", "contact"),
    # A CSV import announces itself once, with its counts, instead of one lead.created or
    # contact.created per row (thousands of deliveries for one upload).
    "import.completed": ("job_id", "import"),
}
WEBHOOK_EVENTS: tuple[str, ...] = tuple(EVENT_SUBJECTS)
# Only sent by the "send test event" action; never published by the CRM itself.
TEST_EVENT = "webhook.test"
