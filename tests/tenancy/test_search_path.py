"""`SET search_path` is sent once per schema switch (TENANT_LIMIT_SET_CALLS), and a rollback,
which makes PostgreSQL forget a SET issued inside it, never leaves queries on the previous
workspace's schema."""

from __future__ import annotations

import contextlib

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django_tenants.utils import schema_context

from crm.team.models import User


def _emails() -> set[str]:
    return set(User.objects.values_list("email", flat=True))


def _sets(queries: CaptureQueriesContext) -> int:
    return sum(q["sql"].startswith("SET search_path") for q in queries.captured_queries)


def _each_workspace(alpha, beta) -> tuple[set[str], set[str]]:
    with schema_context(alpha.schema):
        alpha_emails = _emails()
    with schema_context(beta.schema):
        beta_emails = _emails()
    assert alpha_emails and beta_emails and alpha_emails.isdisjoint(beta_emails)
    return alpha_emails, beta_emails


def test_the_search_path_is_set_once_per_schema_switch(alpha, beta):
    alpha_emails, beta_emails = _each_workspace(alpha, beta)
    with CaptureQueriesContext(connection) as queries:
        with schema_context(alpha.schema):
            assert _emails() == alpha_emails
            assert _emails() == alpha_emails
        with schema_context(beta.schema):
            assert _emails() == beta_emails
    assert _sets(queries) == 2  # alpha once, beta once


def _switch_to_beta_and_fail(beta, beta_emails: set[str]) -> None:
    """Inside a transaction, switch to beta (as provisioning does) and fail: the SET for beta
    is issued inside the transaction, so its rollback reverts it in PostgreSQL while the
    connection still says beta."""
    with contextlib.suppress(RuntimeError), transaction.atomic():
        connection.set_schema(beta.schema)
        assert _emails() == beta_emails
        raise RuntimeError("roll back")
    assert connection.schema_name == beta.schema


def test_after_a_savepoint_rollback_queries_stay_on_the_current_workspace(alpha, beta):
    alpha_emails, beta_emails = _each_workspace(alpha, beta)
    with schema_context(alpha.schema):
        assert _emails() == alpha_emails
        _switch_to_beta_and_fail(beta, beta_emails)  # a savepoint inside the test's transaction
        assert _emails() == beta_emails  # not alpha's, where PostgreSQL went back to


@pytest.mark.django_db(transaction=True)
def test_after_a_transaction_rollback_queries_stay_on_the_current_workspace(alpha, beta):
    alpha_emails, beta_emails = _each_workspace(alpha, beta)
    with schema_context(alpha.schema):
        assert _emails() == alpha_emails
        assert not connection.in_atomic_block
        _switch_to_beta_and_fail(beta, beta_emails)  # the outermost transaction: ROLLBACK
        assert _emails() == beta_emails
