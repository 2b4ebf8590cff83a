"""Forms of the rep UI's company page: they only parse input; company_update validates and
saves (its field errors are shown next to these fields)."""

from __future__ import annotations

from django import forms

from crm.leads.forms import OwnerChoiceField
from crm.team.selectors import user_list_active


def _owner_field() -> OwnerChoiceField:
    return OwnerChoiceField(queryset=user_list_active(), required=False, empty_label="Unassigned")


class CompanyProfileForm(forms.Form):
    """Edit in place: the company's basics; the owner only for managers and admins."""

    name = forms.CharField(required=False, max_length=255)
    domain = forms.CharField(required=False, max_length=255)
    industry = forms.CharField(required=False, max_length=120)
    employee_count = forms.IntegerField(required=False, min_value=0, label="Employees")
    annual_revenue = forms.DecimalField(required=False, max_digits=16, decimal_places=2)
    city = forms.CharField(required=False, max_length=120)
    region = forms.CharField(required=False, max_length=120, label="Region / state")
    # No max_length: the service reports a country that is not a two-letter code.
    country = forms.CharField(required=False, help_text="two-letter code, e.g. US")
    owner = _owner_field()

    COMPANY_FIELDS = (
        "name",
        "domain",
        "industry",
        "employee_count",
        "annual_revenue",
        "city",
        "region",
        "country",
        "owner",
    )

    def __init__(self, *args, can_assign: bool = True, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["owner"] = _owner_field()
        if not can_assign:
            # A rep's company stays theirs; handing it over is a manager's call.
            del self.fields["owner"]

    def clean_country(self) -> str:
        # company_create upper-cases the code; company_update does not, so parse it here.
        return self.cleaned_data["country"].strip().upper()

    def company_changes(self) -> dict:
        return {n: self.cleaned_data[n] for n in self.COMPANY_FIELDS if n in self.fields}
