import pytest
from django.core.exceptions import ValidationError
from django_tenants.utils import schema_context

from crm.activities.models import Activity, Task
from crm.activities.selectors import timeline_for
from crm.activities.services import activity_log, task_complete, task_create
from crm.contacts.services import company_create, contact_create
from crm.deals.models import Deal, DealStageChange, Pipeline, Stage
from crm.deals.services import deal_create, deal_move_stage, pipeline_create
from crm.leads.models import LeadStatus, LeadStatusChange
from crm.leads.services import IllegalTransition, lead_convert, lead_create, lead_transition
from crm.tenancy.services import workspace_create

from ..conftest import PASSWORD


def _lead(**fields):
    contact = contact_create(first_name="Lee", email=f"lee{Activity.objects.count()}@x.test")
    return lead_create(contact=contact, source="web", **fields)


def test_every_workspace_starts_with_the_default_pipeline(db):
    provisioned = workspace_create(
        name="Delta", slug="delta", owner_email="o@delta.test", owner_password=PASSWORD
    )
    with schema_context(provisioned.workspace.schema_name):
        pipeline = Pipeline.objects.get(is_default=True)
        names = list(pipeline.stages.values_list("name", flat=True))
        assert names == ["New", "Qualified", "Proposal", "Negotiation", "Won", "Lost"]


def test_lead_walks_the_status_machine_and_keeps_history(alpha):
    rep = alpha.make_user(email="walker@alpha.test")
    with schema_context(alpha.schema):
        lead = _lead()
        lead = lead_transition(lead=lead, to_status=LeadStatus.CONTACTED, actor=rep)
        assert lead.first_response_at is not None
        lead = lead_transition(lead=lead, to_status=LeadStatus.ENGAGED, actor=rep)
        lead = lead_transition(lead=lead, to_status=LeadStatus.QUALIFIED, actor=rep)
        moves = list(
            LeadStatusChange.objects.filter(lead=lead)
            .order_by("changed_at", "id")
            .values_list("from_status", "to_status")
        )
        assert moves == [("new", "contacted"), ("contacted", "engaged"), ("engaged", "qualified")]
        system = timeline_for(lead=lead).filter(kind=Activity.Kind.SYSTEM)
        assert system.count() == 3


@pytest.mark.parametrize(
    ("start", "target"),
    [("new", "converted"), ("contacted", "new"), ("converted", "lost"), ("engaged", "contacted")],
)
def test_illegal_transitions_are_refused_and_change_nothing(alpha, start, target):
    with schema_context(alpha.schema):
        lead = _lead()
        lead.status = start
        lead.save(update_fields=["status"])
        with pytest.raises(ValidationError) as info:
            lead_transition(lead=lead, to_status=target)
        lead.refresh_from_db()
        assert lead.status == start
        assert not LeadStatusChange.objects.filter(lead=lead).exists()
        assert "status" in info.value.message_dict


def test_illegal_transition_names_the_allowed_moves(alpha):
    with schema_context(alpha.schema):
        lead = _lead()
        lead.status = "engaged"
        lead.save(update_fields=["status"])
        with pytest.raises(IllegalTransition, match="Allowed: disqualified, lost, qualified"):
            lead_transition(lead=lead, to_status="new")
        with pytest.raises(ValidationError, match="Unknown status"):
            lead_transition(lead=lead, to_status="bogus")


def test_lost_needs_a_reason(alpha):
    with schema_context(alpha.schema):
        lead = _lead()
        with pytest.raises(ValidationError, match="why"):
            lead_transition(lead=lead, to_status=LeadStatus.LOST)
        lead = lead_transition(lead=lead, to_status=LeadStatus.LOST, reason="Went with a rival")
        assert lead.lost_reason == "Went with a rival"


def test_converting_a_qualified_lead_creates_a_deal(alpha):
    with schema_context(alpha.schema):
        company = company_create(name="Roof Co")
        contact = contact_create(first_name="Dee", company=company)
        lead = lead_create(contact=contact, estimated_value="4200.00", interest="New roof")
        for status in ("contacted", "qualified"):
            lead = lead_transition(lead=lead, to_status=status)
        deal = lead_convert(lead=lead)
        lead.refresh_from_db()
        assert lead.status == LeadStatus.CONVERTED and lead.converted_deal == deal
        assert deal.company == company and deal.primary_contact == contact
        assert str(deal.amount) == "4200.00"
        assert deal.stage.name == "New" and deal.pipeline.is_default
        assert deal.contacts.filter(pk=contact.pk).exists()


def test_unqualified_lead_cannot_be_converted(alpha):
    with schema_context(alpha.schema):
        lead = _lead()
        with pytest.raises(ValidationError):
            lead_convert(lead=lead)
        assert not Deal.objects.filter(primary_contact=lead.contact).exists()


def test_deal_stage_moves_are_recorded_with_who_and_when(alpha):
    rep = alpha.make_user(email="mover@alpha.test")
    with schema_context(alpha.schema):
        deal = deal_create(name="Big roof", amount="10000", actor=rep)
        stages = {s.name: s for s in deal.pipeline.stages.all()}
        deal = deal_move_stage(deal=deal, stage=stages["Proposal"], actor=rep)
        deal = deal_move_stage(deal=deal, stage=stages["Won"], actor=rep)
        assert deal.closed_at is not None
        changes = list(DealStageChange.objects.filter(deal=deal).order_by("changed_at", "id"))
        assert [c.to_stage.name for c in changes] == ["New", "Proposal", "Won"]
        assert all(c.changed_by == rep for c in changes)
        with pytest.raises(ValidationError, match="lost"):
            deal_move_stage(deal=deal, stage=stages["Lost"])
        deal = deal_move_stage(deal=deal, stage=stages["Lost"], lost_reason="Budget cut")
        assert deal.lost_reason == "Budget cut"


def test_deal_can_move_to_another_pipeline_but_bad_stage_is_refused(alpha):
    with schema_context(alpha.schema):
        other = pipeline_create(
            name="Renewals", stages=[("Open", 30, False, False), ("Renewed", 100, True, False)]
        )
        default_stage = Stage.objects.filter(pipeline__is_default=True).first()
        with pytest.raises(ValidationError, match="another pipeline"):
            deal_create(name="X", pipeline=other, stage=default_stage)
        deal = deal_create(name="Y")
        deal = deal_move_stage(deal=deal, stage=other.stages.get(name="Open"))
        assert deal.pipeline == other
        with pytest.raises(ValidationError):
            deal_create(name="Z", amount="-5")


def test_activities_and_tasks(alpha):
    rep = alpha.make_user(email="doer@alpha.test")
    with schema_context(alpha.schema):
        lead = _lead()
        activity_log(kind="call", direction="outbound", lead=lead, actor=rep, body="Left VM")
        lead.refresh_from_db()
        assert lead.first_response_at is not None  # first outbound touch answers the lead
        assert timeline_for(contact=lead.contact).filter(kind="call").exists()
        with pytest.raises(ValidationError):
            activity_log(kind="note", body="  ", lead=lead)
        with pytest.raises(ValidationError):
            activity_log(kind="call")  # linked to nothing
        task = task_create(title="Call back", lead=lead, actor=rep)
        assert task.assignee == rep and not task.done
        task_complete(task=task, actor=rep)
        assert Task.objects.get(pk=task.pk).done


def test_pipeline_records_are_per_workspace(alpha, beta):
    with schema_context(alpha.schema):
        deal_create(name="Alpha only deal")
        _lead()
    with schema_context(beta.schema):
        assert not Deal.objects.filter(name="Alpha only deal").exists()
        assert Pipeline.objects.filter(is_default=True).count() == 1


def test_archived_pipelines_take_no_new_deals(alpha):
    from crm.deals.services import pipeline_archive

    with schema_context(alpha.schema):
        old = pipeline_create(name="Old", stages=[("Open", 20, False, False)])
        deal = deal_create(name="Before archive")
        pipeline_archive(pipeline=old)
        old.refresh_from_db()
        with pytest.raises(ValidationError, match="archived"):
            deal_create(name="After", pipeline=old)
        with pytest.raises(ValidationError, match="archived"):
            deal_move_stage(deal=deal, stage=old.stages.get())
