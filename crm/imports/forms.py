"""Forms of the import wizard: they only parse input; the import services validate and save."""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError

from .mapping import available_targets
from .models import DuplicatePolicy, ImportJob, Target
from .parsing import max_bytes
from .selectors import mapping_preset_list

IGNORE = ("", "— ignore this column —")


def add_service_errors(form: forms.Form, exc: ValidationError) -> None:
    """A service's ValidationError next to the form's fields (the rest above the form)."""
    if not hasattr(exc, "error_dict"):
        form.add_error(None, exc)
        return
    for name, messages in exc.message_dict.items():
        form.add_error(name if name in form.fields else None, messages)


class UploadForm(forms.Form):
    file = forms.FileField(label="CSV file", allow_empty_file=True)  # the engine says why
    target = forms.ChoiceField(label="Import as", choices=Target.choices, initial=Target.CONTACTS)
    duplicates = forms.ChoiceField(
        label="Rows matching an existing contact",
        choices=DuplicatePolicy.choices,
        initial=DuplicatePolicy.SKIP,
    )
    preset = forms.ModelChoiceField(
        label="Saved mapping",
        queryset=mapping_preset_list(),
        required=False,
        empty_label="None: suggest one from the headers",
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        # Checked before reading: a huge upload is refused without holding it in memory.
        if upload.size > max_bytes():
            raise ValidationError(
                f"The file is {upload.size:,} bytes; the limit is {max_bytes():,} bytes."
            )
        return upload


class MappingForm(forms.Form):
    """One select per CSV header (`col_<n>`, in file order), the duplicates policy and an
    optional preset name."""

    duplicates = forms.ChoiceField(
        label="Rows matching an existing contact", choices=DuplicatePolicy.choices
    )
    save_as_preset = forms.CharField(
        label="Save this mapping as (optional)", required=False, max_length=120
    )

    def __init__(self, *args, job: ImportJob, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.job = job
        # Any value is accepted here: mapping_validate names unknown fields in its own words.
        choices = [IGNORE, *available_targets(target=job.target).items()]
        self.column_fields = []
        for index, header in enumerate(job.headers):
            name = f"col_{index}"
            self.fields[name] = forms.ChoiceField(label=header, choices=choices, required=False)
            self.initial.setdefault(name, job.mapping.get(header, ""))
            self.column_fields.append(name)
        self.initial.setdefault("duplicates", job.duplicates)

    def columns(self) -> list[forms.BoundField]:
        return [self[name] for name in self.column_fields]

    def mapping(self) -> dict[str, str]:
        return {
            header: self.cleaned_data.get(f"col_{index}") or ""
            for index, header in enumerate(self.job.headers)
        }
