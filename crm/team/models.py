from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.contrib.auth.models import PermissionsMixin
from django.db import models
from django.utils import timezone


class Role(models.TextChoices):
    ADMIN = "admin", "Admin"
    MANAGER = "manager", "Manager"
    REP = "rep", "Sales rep"


class UserManager(BaseUserManager):
    """Used by Django's own tooling (createsuperuser); application code calls team.services."""

    use_in_migrations = True

    def create_user(self, email: str, password: str | None = None, **extra):
        from .services import user_create

        return user_create(email=email, password=password, **extra)

    def create_superuser(self, email: str, password: str | None = None, **extra):
        extra.setdefault("role", Role.ADMIN)
        user = self.create_user(email, password, **extra)
        user.is_superuser = True
        user.save(update_fields=["is_superuser"])
        return user


class User(AbstractBaseUser, PermissionsMixin):
    """A person who signs in. Lives in each workspace's schema (its team) and in the public
    schema (the platform's operators); the same email in two workspaces is two accounts."""

    email = models.EmailField(unique=True)
    full_name = models.CharField(max_length=150, blank=True)
    role = models.CharField(max_length=16, choices=Role.choices, default=Role.REP)
    is_active = models.BooleanField(default=True)
    # Admin access follows the role (see services.user_set_role); stored for Django's admin.
    is_staff = models.BooleanField(default=False)
    date_joined = models.DateTimeField(default=timezone.now)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []

    class Meta:
        ordering = ["full_name", "email"]

    def __str__(self) -> str:
        return self.full_name or self.email

    def get_full_name(self) -> str:
        return self.full_name or self.email

    def get_short_name(self) -> str:
        return (self.full_name.split(" ")[0] if self.full_name else self.email).strip()

    @property
    def is_manager(self) -> bool:
        return self.role in (Role.ADMIN, Role.MANAGER)


class ApiKey(models.Model):
    """A partner's credential for the REST API. Lives in the workspace's schema, so a key only
    ever opens its own workspace. The secret is shown once; only its sha256 is stored, with a
    short visible prefix to tell keys apart (and to find the row without scanning hashes)."""

    name = models.CharField(max_length=120, help_text="who or what uses it, e.g. 'Zapier'")
    prefix = models.CharField(max_length=16, unique=True, editable=False)
    key_hash = models.CharField(max_length=64, editable=False)
    # "<resource>:read" / "<resource>:write"; write implies read (crm.team.apikeys.SCOPES).
    scopes = models.JSONField(default=list, blank=True)
    created_by = models.ForeignKey(
        "team.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True, editable=False)
    revoked_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = "API key"

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None

    def allows(self, resource: str, *, write: bool) -> bool:
        scopes = set(self.scopes or [])
        if f"{resource}:write" in scopes:
            return True
        return not write and f"{resource}:read" in scopes
