"""Placeholder until scoped API keys land (the partner API work replaces this module)."""

from rest_framework.permissions import IsAuthenticated


class HasResourceScope(IsAuthenticated):
    pass
