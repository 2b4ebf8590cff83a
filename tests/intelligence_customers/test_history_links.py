"""`history_load` finds a customer's timeline through every link (company, contact's company,
deal's company, contact, deal's primary contact), counts an activity once per customer however
many links lead there, and reads deals, opt-outs and tasks the same way, in a bounded number of
queries."""

from datetime import timedelta
from decimal import Decimal

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from crm.activities.models import Activity, Task
from crm.contacts.models import ConsentRecord, Contact
from crm.deals.models import Deal, DealContact
from intelligence.customers.features import history_load

from .conftest import make_company, stages

HOUR = timedelta(hours=1)


def _book():
    now = timezone.now().replace(microsecond=0)
    t = {k: now - 100 * timedelta(days=1) + k * HOUR for k in range(40)}
    acme = make_company(became=now - 400 * timedelta(days=1))  # customer company
    beam = make_company(became=now - 300 * timedelta(days=1))  # another customer company
    other = make_company(stage="prospect")  # not asked for
    ann = Contact.objects.create(first_name="Ann", company=acme, lifecycle_stage="customer",
                                 became_customer_at=now - 200 * timedelta(days=1))  # fmt: skip
    bob = Contact.objects.create(first_name="Bob", company=acme)  # prospect contact of acme
    xena = Contact.objects.create(first_name="Xena", lifecycle_stage="customer",
                                  became_customer_at=now - 250 * timedelta(days=1))  # fmt: skip
    stranger = Contact.objects.create(first_name="Stranger", company=other)
    open_, won, lost = stages()

    def deal(name, stage, **links):
        closed = links.pop("closed_at", None)
        return Deal.objects.create(name=name, pipeline=open_.pipeline, stage=stage,
                                   amount=links.pop("amount", Decimal(0)), closed_at=closed,
                                   **links)  # fmt: skip

    acme_won = deal("acme won", won, company=acme, amount=Decimal(5000), closed_at=t[30])
    xena_open = deal("xena open", open_, primary_contact=xena, amount=Decimal(700))
    shared_lost = deal("shared lost", lost, company=beam, primary_contact=xena, closed_at=t[31])
    role_only = deal("xena role", won, amount=Decimal(300), closed_at=t[32])
    DealContact.objects.create(deal=role_only, contact=xena, role="champion")
    stranger_deal = deal("stranger", open_, company=other, amount=Decimal(999))

    def act(k, direction="outbound", kind="call", **links):
        return Activity(kind=kind, direction=direction, occurred_at=t[k], **links)

    Activity.objects.bulk_create([
        act(1, company=acme),                                 # acme: its company
        act(2, "inbound", contact=bob),                       # acme: contact's company
        act(3, deal=acme_won),                                # acme: deal's company
        act(4, "inbound", contact=xena),                      # xena: contact
        act(5, deal=xena_open),                               # xena: deal's primary contact
        act(6, "inbound", company=acme, contact=ann),         # acme twice (once), ann
        act(7, contact=xena, deal=xena_open),                 # xena twice (once)
        act(8, "inbound", company=beam, contact=bob),         # beam and acme
        act(9, deal=shared_lost),                             # beam (company) and xena (primary)
        act(10, kind="system", company=acme),                 # a stage change: not engagement
        act(11, contact=stranger),                            # nobody asked for
        act(12, deal=stranger_deal),                          # nobody asked for
        act(13, "inbound", contact=ann, deal=acme_won),       # ann, and acme twice (once)
        act(14, deal=role_only),                              # a role is not an activity link
    ])  # fmt: skip

    def consent(contact, k, status="revoked"):
        return ConsentRecord(contact=contact, channel="sms", status=status, source="test",
                             occurred_at=t[k])  # fmt: skip

    ConsentRecord.objects.bulk_create([
        consent(bob, 15),                    # acme (through its contact)
        consent(ann, 16),                    # ann and acme
        consent(xena, 17),                   # xena
        consent(xena, 18, status="granted"),  # not an opt-out
        consent(stranger, 19),               # nobody asked for
        consent(bob, 15),                    # a second record at the same time counts too
    ])  # fmt: skip
    Task.objects.bulk_create([
        Task(title="acme call", company=acme, due_at=t[20]),
        Task(title="xena done", contact=xena, due_at=t[21], done=True, completed_at=t[22]),
        Task(title="both", company=beam, contact=xena, due_at=t[23], done=True),
        Task(title="no date", company=acme),
        Task(title="bob's", contact=bob, due_at=t[24]),  # bob is not a customer asked for
    ])  # fmt: skip
    keys = {"acme": ("company", acme.pk), "beam": ("company", beam.pk),
            "ann": ("contact", ann.pk), "xena": ("contact", xena.pk)}  # fmt: skip
    return t, keys


def test_history_reaches_customers_through_every_link_once(in_alpha):
    t, keys = _book()
    with CaptureQueriesContext(connection) as captured:
        histories = history_load(keys=[*keys.values(), ("company", 10**9), ("contact", 10**9)])
    sql = [q["sql"] for q in captured if not q["sql"].startswith("SET search_path")]
    assert len(sql) <= 8  # records 2, timeline 1, deals 3, opt-outs 1, tasks 1
    assert set(histories) == set(keys.values())  # missing records are left out
    acme, beam, ann, xena = (histories[keys[name]] for name in ("acme", "beam", "ann", "xena"))

    assert acme.activity_at == [t[1], t[2], t[3], t[6], t[8], t[13]]
    assert acme.inbound_at == [t[2], t[6], t[8], t[13]]
    assert beam.activity_at == [t[8], t[9]]
    assert beam.inbound_at == [t[8]]
    assert ann.activity_at == [t[6], t[13]]
    assert ann.inbound_at == [t[6], t[13]]
    assert xena.activity_at == [t[4], t[5], t[7], t[9]]
    assert xena.inbound_at == [t[4]]

    assert acme.won == [(t[30], 5000.0)]
    assert acme.lost_at == [] and acme.open_spans[0][1:] == (t[30], 5000.0)
    assert beam.won == [] and beam.lost_at == [t[31]]
    assert xena.won == [(t[32], 300.0)]  # through its role on the deal
    assert xena.lost_at == [t[31]]  # the primary contact of beam's lost deal
    assert {(closed, amount) for _, closed, amount in xena.open_spans} == {
        (None, 700.0),
        (t[31], 0.0),
        (t[32], 300.0),
    }
    assert ann.won == [] and ann.open_spans == []

    assert acme.opt_out_at == [t[15], t[15], t[16]]
    assert ann.opt_out_at == [t[16]]
    assert xena.opt_out_at == [t[17]]
    assert beam.opt_out_at == []

    assert acme.task_spans == [(t[20], None)]
    assert sorted(xena.task_spans) == [(t[21], t[22]), (t[23], t[23])]
    assert beam.task_spans == [(t[23], t[23])]  # done without a date: finished when due
    assert ann.task_spans == []


def test_history_of_only_companies_or_only_contacts(in_alpha):
    t, keys = _book()
    companies = history_load(keys=[keys["acme"], keys["beam"]])
    assert companies[keys["acme"]].activity_at == [t[1], t[2], t[3], t[6], t[8], t[13]]
    assert companies[keys["beam"]].activity_at == [t[8], t[9]]
    contacts = history_load(keys=[keys["xena"]])
    assert contacts[keys["xena"]].activity_at == [t[4], t[5], t[7], t[9]]
    assert contacts[keys["xena"]].opt_out_at == [t[17]]
    assert history_load(keys=[]) == {}
