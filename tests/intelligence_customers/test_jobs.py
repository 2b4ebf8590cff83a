"""Training refused while another runs, the generic nightly jobs covering churn, and the
trainer registration the rest of the product relies on."""

from datetime import timedelta

import pytest
from django.utils import timezone
from django_tenants.utils import schema_context

from crm.tenancy.celery import SCHEMA_HEADER
from intelligence import registry
from intelligence import tasks as intelligence_tasks
from intelligence.customers import tasks
from intelligence.customers.models import CustomerScore
from intelligence.customers.services import churn_model_train, customer_rescore_all
from intelligence.models import TrainingRun
from tests.training_lock import training_lock_held

from .conftest import make_company


def test_registered_as_the_churn_trainer_for_the_generic_nightly_jobs():
    assert registry.trainer_for("churn") is churn_model_train
    assert registry.rescorer_for("churn") is customer_rescore_all
    assert "churn" in registry.trainable_kinds()


@pytest.mark.django_db(transaction=True)
def test_second_training_is_refused_with_a_clear_reason(alpha):
    with training_lock_held(alpha.schema, "churn"):
        with schema_context(alpha.schema):
            run = churn_model_train()
        assert run.status == TrainingRun.Status.REFUSED
        assert "already running" in run.reason
    with schema_context(alpha.schema):
        assert churn_model_train().status == TrainingRun.Status.COLD_START


def test_generic_nightly_jobs_train_and_rescore_customers_in_the_messages_workspace(alpha, beta):
    with schema_context(alpha.schema):
        customer = make_company(became=timezone.now() - timedelta(days=50))
    trained = intelligence_tasks.workspace_nightly_training.apply(
        headers={SCHEMA_HEADER: alpha.schema}
    )
    assert "churn" in trained.get()  # a churn training is queued with the other kinds
    rescored = intelligence_tasks.workspace_nightly_rescore.apply(
        headers={SCHEMA_HEADER: alpha.schema}
    )
    assert rescored.get()["churn"] == 1
    with schema_context(alpha.schema):
        assert CustomerScore.objects.filter(company=customer).exists()
    with schema_context(beta.schema):
        assert not CustomerScore.objects.exists()


def test_rescore_task_refuses_a_message_without_workspace():
    from crm.tenancy.celery import MissingTenantError

    with pytest.raises(MissingTenantError):
        tasks.customers_rescore.apply(kwargs={"companies": [1]}).get()
