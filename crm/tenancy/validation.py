"""Rules for workspace slugs: they become a DNS label and (prefixed) a PostgreSQL schema name."""

import re

SLUG_MIN_LENGTH = 3
SLUG_MAX_LENGTH = 30
SCHEMA_PREFIX = "ws_"
RESERVED_SLUGS = frozenset(
    {
        "www", "admin", "api", "public", "app", "static", "media", "mail", "smtp", "ftp",
        "status", "help", "support", "docs", "blog", "billing", "login", "signup", "auth",
        "ws", "webhooks", "localhost", "template", "test", "demo-template", "lodestar",
    }
)  # fmt: skip
_SLUG_PATTERN = re.compile(r"^[a-z][a-z0-9]*(?:-[a-z0-9]+)*$")


class SlugError(ValueError):
    """The slug cannot name a workspace; the message says why, for the person typing it."""


def validate_slug(slug: str) -> str:
    if not slug:
        raise SlugError("Choose an address for your workspace.")
    if slug != slug.lower():
        raise SlugError("Use lowercase letters only in the workspace address.")
    if len(slug) < SLUG_MIN_LENGTH:
        raise SlugError(f"The workspace address needs at least {SLUG_MIN_LENGTH} characters.")
    if len(slug) > SLUG_MAX_LENGTH:
        raise SlugError(f"The workspace address can have at most {SLUG_MAX_LENGTH} characters.")
    if not _SLUG_PATTERN.match(slug):
        raise SlugError(
            "The workspace address may contain lowercase letters, digits and single hyphens, "
            "and must start with a letter and not end with a hyphen."
        )
    if slug in RESERVED_SLUGS or slug.startswith(("pg-", "xn-")):
        raise SlugError(f'"{slug}" is reserved. Please choose another address.')
    return slug


def schema_name_for(slug: str) -> str:
    return SCHEMA_PREFIX + slug.replace("-", "_")
