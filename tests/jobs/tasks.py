"""Tasks that exist only for the tests: they report which schema they ran in and what data they
could see there. Their base is the app's default, TenantTask, like every product task."""

from __future__ import annotations

import logging

from celery import shared_task
from django.db import connection

from crm.team.models import User
from crm.tenancy.celery import PlatformTask

logger = logging.getLogger(__name__)

# The schema of every run that reached a task body. A refused task must leave no entry: the
# refusal is only real if the body (and so any database work) never started.
BODY_RUNS: list[str] = []


@shared_task(name="tests.jobs.whoami")
def whoami(email: str) -> dict[str, object]:
    BODY_RUNS.append(connection.schema_name)
    logger.warning("whoami ran for %s", email)
    return {
        "schema": connection.schema_name,
        "matches": User.objects.filter(email=email).count(),
    }


@shared_task(
    name="tests.jobs.fails_once",
    bind=True,
    autoretry_for=(ConnectionError,),
    max_retries=2,
    retry_backoff=False,
    default_retry_delay=0,
)
def fails_once(self) -> dict[str, object]:
    """First attempt fails like a broker blip; the retry must run in the same workspace."""
    BODY_RUNS.append(connection.schema_name)
    if self.request.retries == 0:
        raise ConnectionError("transient")
    return {"schema": connection.schema_name, "retries": self.request.retries}


@shared_task(name="tests.jobs.platform_whereami", base=PlatformTask)
def platform_whereami() -> str:
    return connection.schema_name


@shared_task(name="tests.jobs.boom")
def boom() -> None:
    BODY_RUNS.append(connection.schema_name)
    raise ValueError("boom")
