"""Parsing of the pipeline board's query string (filters) and the move form."""

from __future__ import annotations

from django import forms


class BoardFilterForm(forms.Form):
    """GET filters of the board. Bad values are dropped rather than failing the page."""

    pipeline = forms.IntegerField(required=False)
    owner = forms.IntegerField(required=False)
    close_from = forms.DateField(required=False)
    close_to = forms.DateField(required=False)

    def filters(self) -> dict:
        self.is_valid()  # fills cleaned_data with the fields that did parse
        return {k: v for k, v in self.cleaned_data.items() if v is not None}


class MoveForm(forms.Form):
    stage = forms.IntegerField()
    lost_reason = forms.CharField(required=False, max_length=255)
