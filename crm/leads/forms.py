"""Forms of the rep UI's lead pages: they only parse input; the services validate and save."""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError

from crm.activities.models import Activity, Task
from crm.team.selectors import user_list_active

from .models import LeadStatus
from .status import allowed_next


def add_service_errors(form: forms.Form, exc: ValidationError) -> None:
    """Show a service's errors next to the form's fields (others above the form)."""
    if not hasattr(exc, "error_dict"):
        form.add_error(None, exc)
        return
    for name, messages in exc.message_dict.items():
        form.add_error(name if name in form.fields else None, messages)


class OwnerChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj) -> str:
        return obj.get_full_name()


def _owner_field() -> OwnerChoiceField:
    return OwnerChoiceField(queryset=user_list_active(), required=False, empty_label="Unassigned")


class ContactFieldsForm(forms.Form):
    first_name = forms.CharField(required=False, max_length=120)
    last_name = forms.CharField(required=False, max_length=120)
    email = forms.CharField(required=False, max_length=254, widget=forms.EmailInput)
    phone = forms.CharField(required=False, max_length=40, widget=forms.TextInput(
        attrs={"type": "tel", "autocomplete": "tel"}))  # fmt: skip

    CONTACT_FIELDS = ("first_name", "last_name", "email", "phone")

    def contact_changes(self) -> dict:
        return {n: self.cleaned_data[n] for n in self.CONTACT_FIELDS}


class LeadProfileForm(ContactFieldsForm):
    """Edit in place: the lead's contact's basics and the lead's own fields."""

    source = forms.CharField(required=False, max_length=64)
    interest = forms.CharField(required=False, max_length=255)
    estimated_value = forms.DecimalField(required=False, max_digits=14, decimal_places=2)
    owner = _owner_field()

    LEAD_FIELDS = ("source", "interest", "estimated_value", "owner")

    def __init__(self, *args, can_assign: bool = True, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["owner"] = _owner_field()
        if not can_assign:
            # Reps keep their leads; handing a lead over is a manager's call.
            del self.fields["owner"]

    def lead_changes(self) -> dict:
        return {n: self.cleaned_data[n] for n in self.LEAD_FIELDS if n in self.fields}


class LeadCreateForm(LeadProfileForm):
    use_contact = forms.IntegerField(required=False, widget=forms.HiddenInput)
    create_anyway = forms.BooleanField(required=False, widget=forms.HiddenInput)


class CallForm(forms.Form):
    direction = forms.ChoiceField(
        choices=[(Activity.Direction.OUTBOUND, "Outbound"), (Activity.Direction.INBOUND, "Inbound")]
    )
    subject = forms.CharField(required=False, max_length=255, label="Outcome")
    body = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2}), label="Notes")
    minutes = forms.IntegerField(required=False, min_value=0, max_value=24 * 60)


class NoteForm(forms.Form):
    body = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 3}), label="Note")


class TaskForm(forms.Form):
    title = forms.CharField(required=False, max_length=255)
    due_at = forms.DateTimeField(
        required=False,
        label="Due",
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%d"],
    )
    priority = forms.TypedChoiceField(
        choices=Task.Priority.choices, coerce=int, initial=Task.Priority.NORMAL
    )


class StatusForm(forms.Form):
    to_status = forms.ChoiceField(label="New status", choices=())
    reason = forms.CharField(
        required=False, max_length=255, help_text="needed for lost / disqualified"
    )

    def __init__(self, *args, current: str, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        legal = allowed_next(current) - {LeadStatus.CONVERTED}
        self.fields["to_status"].choices = [
            (value, label) for value, label in LeadStatus.choices if value in legal
        ]


class ConvertForm(forms.Form):
    deal_name = forms.CharField(required=False, max_length=255)
    amount = forms.DecimalField(required=False, min_value=0, max_digits=14, decimal_places=2)
    expected_close_date = forms.DateField(
        required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
