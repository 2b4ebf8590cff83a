"""Fixtures for identity resolution tests: a manager to act as, and record factories."""

from __future__ import annotations

import itertools

import pytest

from crm.team.models import Role

_n = itertools.count()


@pytest.fixture
def manager(alpha):
    return alpha.make_user(email=f"merge-manager{next(_n)}@alpha.test", role=Role.MANAGER)
