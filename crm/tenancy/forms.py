from django import forms
from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password

from .validation import SLUG_MAX_LENGTH


class SignupForm(forms.Form):
    name = forms.CharField(label="Company name", max_length=120)
    slug = forms.CharField(
        label="Workspace address",
        max_length=64,  # longer input reaches the service, which explains the limit
        help_text=f"Lowercase letters, digits and hyphens, up to {SLUG_MAX_LENGTH} characters.",
    )
    owner_name = forms.CharField(label="Your name", max_length=150, required=False)
    owner_email = forms.EmailField(label="Your work email")
    password = forms.CharField(label="Password", widget=forms.PasswordInput)
    password_confirm = forms.CharField(label="Password again", widget=forms.PasswordInput)

    def clean(self):
        cleaned = super().clean()
        password = cleaned.get("password")
        if password and password != cleaned.get("password_confirm"):
            self.add_error("password_confirm", "The two passwords differ.")
        elif password:
            # With the owner's email and name, as the service will: a password that repeats
            # them must be refused here, next to the field, not later as a general error.
            owner = get_user_model()(
                email=cleaned.get("owner_email") or "", full_name=cleaned.get("owner_name") or ""
            )
            try:
                validate_password(password, owner)
            except forms.ValidationError as exc:
                self.add_error("password", exc)
        return cleaned
