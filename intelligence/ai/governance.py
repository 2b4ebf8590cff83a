"""Feature flags with a rollout percentage that is stable per user."""

from __future__ import annotations

import hashlib
from typing import Any

from .models import AIFeature


def rollout_bucket(*, user_id: int | None, feature: str) -> int:
    """0 to 99, the same for a user and feature on every call and every server (no random)."""
    who = "system" if user_id is None else str(user_id)
    digest = hashlib.sha256(f"{who}:{feature}".encode()).digest()
    return int.from_bytes(digest[:8], "big") % 100


def feature_enabled_for(*, flag: AIFeature, user: Any) -> bool:
    if not flag.enabled:
        return False
    bucket = rollout_bucket(user_id=getattr(user, "pk", None), feature=flag.key)
    return bucket < flag.rollout_percent


def ai_feature_enabled(*, feature: str, user: Any = None) -> bool:
    """For UIs: show the feature to this user? (No flag row = on for everyone.) When off, the
    gateway still answers, with the built-in engine only."""
    flag = AIFeature.objects.filter(key=feature).first()
    return flag is None or feature_enabled_for(flag=flag, user=user)
