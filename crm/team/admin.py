from django import forms
from django.contrib import admin, messages
from django.contrib.auth.admin import GroupAdmin
from django.contrib.auth.forms import AdminPasswordChangeForm
from django.contrib.auth.models import Group
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.http import HttpRequest

from crm.tenancy.admin_sites import platform_admin, workspace_admin

from .apikeys import SCOPES, api_key_create, api_key_revoke, api_key_update, scopes_clean
from .models import ApiKey, Role, User
from .roles import roles_grantable_by
from .selectors import user_email_taken
from .services import user_create, user_ensure_admin_remains, user_update


class _UserFormBase(forms.ModelForm):
    """Checks the service would refuse, done here so the admin shows them on the field instead
    of failing in save_model with a server error."""

    def clean_email(self) -> str:
        email = self.cleaned_data["email"].strip().lower()
        if user_email_taken(email=email, exclude_pk=self.instance.pk):
            raise forms.ValidationError(f"{email} already has an account here.")
        return email


class UserAddForm(_UserFormBase):
    password = forms.CharField(
        widget=forms.PasswordInput, required=False,
        help_text="Leave empty to have them set one through 'Forgot password'.",
    )  # fmt: skip

    class Meta:
        model = User
        fields = ("email", "full_name", "role")

    def clean_password(self) -> str:
        password = self.cleaned_data.get("password") or ""
        if password:  # same validators, with the same user attributes, as user_create
            candidate = User(
                email=self.cleaned_data.get("email", ""),
                full_name=self.cleaned_data.get("full_name", ""),
            )
            validate_password(password, candidate)
        return password


class UserChangeForm(_UserFormBase):
    class Meta:
        model = User
        fields = ("email", "full_name", "role", "is_active")

    def clean(self) -> dict:
        cleaned = super().clean()
        if "role" in cleaned and "is_active" in cleaned:
            try:
                user_ensure_admin_remains(
                    user_id=self.instance.pk, role=cleaned["role"], is_active=cleaned["is_active"]
                )
            except ValidationError as exc:
                self.add_error(None, exc.message_dict["role"])
        return cleaned


class UserAdmin(admin.ModelAdmin):
    list_display = ("email", "full_name", "role", "is_active", "last_login", "date_joined")
    list_filter = ("role", "is_active")
    search_fields = ("email", "full_name")
    ordering = ("email",)
    readonly_fields = ("last_login", "date_joined")
    change_password_form = AdminPasswordChangeForm

    def get_form(self, request: HttpRequest, obj=None, **kwargs):
        kwargs["form"] = UserAddForm if obj is None else UserChangeForm
        return super().get_form(request, obj, **kwargs)

    def formfield_for_choice_field(self, db_field, request: HttpRequest, **kwargs):
        if db_field.name == "role":  # offer only the roles this person may hand out
            allowed = roles_grantable_by(request.user)
            kwargs["choices"] = [(role.value, role.label) for role in Role if role in allowed]
        return super().formfield_for_choice_field(db_field, request, **kwargs)

    def get_fields(self, request: HttpRequest, obj=None):
        if obj is None:
            return ("email", "full_name", "role", "password")
        return ("email", "full_name", "role", "is_active", "last_login", "date_joined")

    def save_model(self, request: HttpRequest, obj: User, form, change: bool) -> None:
        if not change:
            created = user_create(
                email=form.cleaned_data["email"],
                password=form.cleaned_data.get("password") or None,
                full_name=form.cleaned_data.get("full_name", ""),
                role=form.cleaned_data["role"],
                by=request.user,
            )
            obj.pk = created.pk
            obj._state.adding = False
            return
        data = form.cleaned_data
        user_update(
            user=obj, email=data["email"], full_name=data["full_name"],
            is_active=data["is_active"], role=data["role"], by=request.user,
        )  # fmt: skip

    def has_change_permission(self, request: HttpRequest, obj: User | None = None) -> bool:
        # A manager may not edit an admin (which could lock the workspace's owner out).
        if (
            obj is not None
            and obj.role == Role.ADMIN
            and Role.ADMIN not in roles_grantable_by(request.user)
        ):
            return False
        return super().has_change_permission(request, obj)


workspace_admin.register(User, UserAdmin)
workspace_admin.register(Group, GroupAdmin)
platform_admin.register(User, UserAdmin)


# --- API keys -----------------------------------------------------------------------------


class ApiKeyForm(forms.ModelForm):
    scopes = forms.MultipleChoiceField(
        choices=[(s, s) for s in SCOPES],
        widget=forms.CheckboxSelectMultiple,
        help_text="read lets the key list and fetch; write also lets it create, change, delete.",
    )

    class Meta:
        model = ApiKey
        fields = ("name", "scopes")

    def clean_scopes(self) -> list[str]:
        try:
            return scopes_clean(self.cleaned_data.get("scopes") or [])
        except ValidationError as exc:
            raise forms.ValidationError(exc.message_dict["scopes"]) from exc


class ApiKeyAdmin(admin.ModelAdmin):
    form = ApiKeyForm
    list_display = ("name", "prefix", "scope_summary", "created_by", "created_at",
                    "last_used_at", "revoked_at")  # fmt: skip
    list_filter = ("revoked_at",)
    search_fields = ("name", "prefix")
    readonly_fields = ("prefix", "created_by", "created_at", "last_used_at", "revoked_at")
    actions = ("revoke_selected",)

    @admin.display(description="scopes")
    def scope_summary(self, obj: ApiKey) -> str:
        return ", ".join(obj.scopes or [])

    def get_fields(self, request: HttpRequest, obj=None):
        if obj is None:
            return ("name", "scopes")
        return ("name", "scopes", *self.readonly_fields)

    def save_model(self, request: HttpRequest, obj: ApiKey, form, change: bool) -> None:
        data = form.cleaned_data
        if change:
            api_key_update(api_key=obj, name=data["name"], scopes=data["scopes"])
            return
        issued = api_key_create(name=data["name"], scopes=data["scopes"], created_by=request.user)
        obj.pk, obj.prefix = issued.api_key.pk, issued.api_key.prefix
        obj._state.adding = False
        # The only time the secret exists outside the partner's hands: only its hash is kept.
        messages.warning(
            request,
            f"Copy this API key now; it will not be shown again: {issued.secret}",
        )

    @admin.action(description="Revoke selected API keys")
    def revoke_selected(self, request: HttpRequest, queryset) -> None:
        for api_key in queryset:
            api_key_revoke(api_key=api_key)
        messages.success(request, f"Revoked {queryset.count()} key(s).")


workspace_admin.register(ApiKey, ApiKeyAdmin)
