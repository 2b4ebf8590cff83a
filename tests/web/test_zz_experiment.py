import pytest
from django.db import connection
from crm.tenancy.models import Workspace, Domain
from django_tenants.utils import schema_context
from crm.team.models import User
from django_celery_beat.models import PeriodicTask

@pytest.mark.django_db(transaction=True)
def test_a(alpha):
    print("A", list(Workspace.objects.values_list("slug", flat=True)), PeriodicTask.objects.count())
    with schema_context("ws_alpha"):
        print("A users", User.objects.count())

@pytest.mark.django_db(transaction=True)
def test_b(alpha):
    print("B", list(Workspace.objects.values_list("slug", flat=True)), list(Domain.objects.values_list("domain", flat=True)), PeriodicTask.objects.count())
    with schema_context("ws_alpha"):
        print("B users", User.objects.count())
