"""Training refused while another runs, the nightly job per workspace and its fan-out, and
the registrations (trainer, beat schedule) the rest of the product relies on."""

from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone
from django_tenants.utils import schema_context

from crm.tenancy.celery import SCHEMA_HEADER
from crm.tenancy.schedules import _REGISTERED
from intelligence import registry
from intelligence.customers import tasks
from intelligence.customers.models import CustomerScore
from intelligence.customers.services import churn_model_train, customer_rescore_all
from intelligence.models import IntelligenceSettings, TrainingRun
from tests.training_lock import training_lock_held

from .conftest import make_company


def test_registered_as_the_churn_trainer_and_nightly_job():
    assert registry.trainer_for("churn") is churn_model_train
    assert registry.rescorer_for("churn") is customer_rescore_all
    task = "intelligence.customers.platform_nightly"
    nightly = [s for s in _REGISTERED.values() if s.task == task]
    assert len(nightly) == 1 and nightly[0].daily_at == (4, 0)


@pytest.mark.django_db(transaction=True)
def test_second_training_is_refused_with_a_clear_reason(alpha):
    with training_lock_held(alpha.schema, "churn"):
        with schema_context(alpha.schema):
            run = churn_model_train()
        assert run.status == TrainingRun.Status.REFUSED
        assert "already running" in run.reason
    with schema_context(alpha.schema):
        assert churn_model_train().status == TrainingRun.Status.COLD_START


def test_nightly_job_trains_then_rescores_in_the_messages_workspace(alpha, beta):
    with schema_context(alpha.schema):
        customer = make_company(became=timezone.now() - timedelta(days=50))
    result = tasks.customers_workspace_nightly.apply(headers={SCHEMA_HEADER: alpha.schema})
    assert result.get() == {"training": "cold_start", "rescored": 1}
    again = tasks.customers_workspace_nightly.apply(headers={SCHEMA_HEADER: alpha.schema})
    assert again.get() == {"training": "recent", "rescored": 1}  # trained once a night
    with schema_context(alpha.schema):
        assert CustomerScore.objects.filter(company=customer).count() == 2
        IntelligenceSettings.objects.create(nightly_training=False)
    off = tasks.customers_workspace_nightly.apply(headers={SCHEMA_HEADER: alpha.schema})
    assert off.get() == {"training": "off", "rescored": 1}
    with schema_context(beta.schema):
        assert not CustomerScore.objects.exists()


def test_platform_job_fans_out_to_every_workspace(alpha, beta, monkeypatch):
    sent: list[str] = []
    monkeypatch.setattr(tasks.customers_workspace_nightly, "delay",
                        lambda: sent.append(connection.schema_name))  # fmt: skip
    assert tasks.customers_platform_nightly.apply().get() >= 2
    assert {alpha.schema, beta.schema} <= set(sent)


def test_rescore_task_refuses_a_message_without_workspace():
    from crm.tenancy.celery import MissingTenantError

    with pytest.raises(MissingTenantError):
        tasks.customers_rescore.apply(kwargs={"companies": [1]}).get()
