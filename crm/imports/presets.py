"""The UCI bank-marketing preset (Moro et al., 2014): every attribute kept as a lead custom
field, the outcome `y` turned into the lead's status, a synthetic contact per row."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction

from crm.customfields.models import Entity, FieldType
from crm.customfields.selectors import custom_field_map
from crm.customfields.services import custom_field_define
from crm.leads.models import LeadStatus

from .models import MappingPreset, Target
from .services import mapping_preset_save

BANK_MARKETING_PRESET = "UCI bank marketing"
BANK_SOURCE = "bank-marketing"
_NUM, _CHOICE = FieldType.NUMBER, FieldType.CHOICE
_YES_NO = ["no", "yes", "unknown"]
# (CSV column, custom field key, label, type, choices) — choices from bank-additional-names.txt
BANK_FIELDS: list[tuple[str, str, str, str, list[str]]] = [
    ("age", "bank_age", "Age", _NUM, []),
    ("job", "bank_job", "Job", _CHOICE,
     ["admin.", "blue-collar", "entrepreneur", "housemaid", "management", "retired",
      "self-employed", "services", "student", "technician", "unemployed", "unknown"]),
    ("marital", "bank_marital", "Marital status", _CHOICE,
     ["divorced", "married", "single", "unknown"]),
    ("education", "bank_education", "Education", _CHOICE,
     ["basic.4y", "basic.6y", "basic.9y", "high.school", "illiterate", "professional.course",
      "university.degree", "unknown"]),
    ("default", "bank_default", "Credit in default", _CHOICE, _YES_NO),
    ("housing", "bank_housing", "Housing loan", _CHOICE, _YES_NO),
    ("loan", "bank_loan", "Personal loan", _CHOICE, _YES_NO),
    ("contact", "bank_contact", "Contact type", _CHOICE, ["cellular", "telephone"]),
    ("month", "bank_month", "Last contact month", _CHOICE,
     ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"]),
    ("day_of_week", "bank_day_of_week", "Last contact weekday", _CHOICE,
     ["mon", "tue", "wed", "thu", "fri"]),
    # Known only after the call (and the outcome with it): kept, never a model input.
    ("duration", "bank_duration", "Last call duration (s) — not a model input", _NUM, []),
    ("campaign", "bank_campaign", "Contacts this campaign", _NUM, []),
    ("pdays", "bank_pdays", "Days since previous campaign (999 = never)", _NUM, []),
    ("previous", "bank_previous", "Contacts before this campaign", _NUM, []),
    ("poutcome", "bank_poutcome", "Previous campaign outcome", _CHOICE,
     ["failure", "nonexistent", "success"]),
    ("emp.var.rate", "bank_emp_var_rate", "Employment variation rate", _NUM, []),
    ("cons.price.idx", "bank_cons_price_idx", "Consumer price index", _NUM, []),
    ("cons.conf.idx", "bank_cons_conf_idx", "Consumer confidence index", _NUM, []),
    ("euribor3m", "bank_euribor3m", "Euribor 3 month rate", _NUM, []),
    ("nr.employed", "bank_nr_employed", "Number of employees (quarterly)", _NUM, []),
]  # fmt: skip
BANK_OPTIONS = {
    "synthetic_identity": {"first_name": "Bank client", "last_name": "#{n}", "source": BANK_SOURCE},
    "lead_defaults": {"source": BANK_SOURCE, "campaign": "Term deposit telemarketing 2008-2010"},
    "outcome_values": {"yes": LeadStatus.CONVERTED, "no": LeadStatus.LOST},
    "lost_reason": "Did not subscribe a term deposit (bank-marketing y=no)",
}


@transaction.atomic
def bank_marketing_preset_install(*, actor=None) -> MappingPreset:
    """Define the lead custom fields (idempotent) and save the preset. Refuses, changing
    nothing, if a field with one of its keys already exists with another type."""
    existing = custom_field_map(entity=Entity.LEAD)
    for position, (_, key, label, field_type, choices) in enumerate(BANK_FIELDS):
        definition = existing.get(key)
        if definition is None:
            custom_field_define(
                entity=Entity.LEAD, key=key, label=label, field_type=field_type,
                choices=choices, position=100 + position,
            )  # fmt: skip
        elif definition.field_type != field_type:
            raise ValidationError(
                {"preset": f'The lead field "{key}" exists as {definition.field_type}, '
                           f"not {field_type}; rename it before installing this preset."}
            )  # fmt: skip
    mapping = {column: f"lead.custom.{key}" for column, key, *_ in BANK_FIELDS}
    mapping["y"] = "lead.outcome"
    return mapping_preset_save(
        name=BANK_MARKETING_PRESET, target=Target.LEADS, mapping=mapping, options=BANK_OPTIONS,
        actor=actor,
    )  # fmt: skip
