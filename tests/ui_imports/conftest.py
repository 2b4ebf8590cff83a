"""Fixtures for the import wizard's view tests: a signed-in manager per workspace."""

from __future__ import annotations

import csv
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from crm.team.models import Role


def csv_upload(rows: list[list[str]], name: str = "people.csv") -> SimpleUploadedFile:
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(rows)
    return SimpleUploadedFile(name, out.getvalue().encode(), content_type="text/csv")


PEOPLE = [
    ["First Name", "Surname", "E-mail", "Mobile"],
    ["Ada", "Lovelace", "ada@example.com", "(415) 555-0101"],
    ["Bad", "Email", "not-an-email", ""],
    ["Alan", "Turing", "alan@example.com", "415.555.0102"],
]


@pytest.fixture
def manager(alpha):
    return alpha.make_user(email="wizard@alpha.test", role=Role.MANAGER)


@pytest.fixture
def client(alpha, manager):
    return alpha.logged_in_client(manager)


@pytest.fixture
def rep_client(alpha):
    rep = alpha.make_user(email="wizard.rep@alpha.test", role=Role.REP)
    return alpha.logged_in_client(rep)
