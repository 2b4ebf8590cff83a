"""Fixtures for import tests: a manager per workspace and helpers to build CSV bytes."""

from __future__ import annotations

import csv
import io

import pytest
from django_tenants.utils import schema_context

from crm.team.models import Role


def csv_bytes(rows: list[list[str]], *, delimiter: str = ",", encoding: str = "utf-8") -> bytes:
    out = io.StringIO()
    csv.writer(out, delimiter=delimiter, lineterminator="\n").writerows(rows)
    return out.getvalue().encode(encoding)


@pytest.fixture
def alpha_manager(alpha):
    return alpha.make_user(email="importer@alpha.test", role=Role.MANAGER)


@pytest.fixture
def beta_manager(beta):
    return beta.make_user(email="importer@beta.test", role=Role.MANAGER)


@pytest.fixture
def in_alpha(alpha):
    with schema_context(alpha.schema):
        yield alpha
