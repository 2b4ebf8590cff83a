"""Fixtures for the CRM admin tests: a manager and a rep of alpha, clients, and a helper that
rebuilds an admin page's POST data (main form + inline management forms) from its context."""

from __future__ import annotations

import itertools
from typing import Any

import pytest
from django.forms import MultiWidget

from crm.team.models import Role

_n = itertools.count()


@pytest.fixture
def manager(alpha):
    return alpha.make_user(email=f"manager{next(_n)}@alpha.test", role=Role.MANAGER)


@pytest.fixture
def manager_client(alpha, manager):
    return alpha.logged_in_client(manager)


@pytest.fixture
def rep_client(alpha):
    rep = alpha.make_user(email=f"rep{next(_n)}@alpha.test", role=Role.REP)
    return alpha.logged_in_client(rep)


def _field_data(form) -> dict[str, Any]:
    data: dict[str, Any] = {}
    for bf in form:
        value = bf.value()
        widget = bf.field.widget
        if isinstance(widget, MultiWidget):
            parts = widget.decompress(value)
            for i, part in enumerate(parts):
                data[f"{bf.html_name}_{i}"] = "" if part is None else part
            continue
        if isinstance(value, bool):
            if value:
                data[bf.html_name] = "on"
            continue
        data[bf.html_name] = "" if value is None else value
    return data


def page_post_data(response, **overrides: Any) -> dict[str, Any]:
    """What the browser would submit from an admin add/change page, with overrides."""
    context = response.context
    data = _field_data(context["adminform"].form)
    for inline in context["inline_admin_formsets"]:
        formset = inline.formset
        data.update(_field_data(formset.management_form))
        for form in formset.forms:
            data.update(_field_data(form))
    data.update(overrides)
    return data


@pytest.fixture
def post_data():
    return page_post_data
