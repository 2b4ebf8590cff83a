"""Scoring with bad or changed input, per-workspace thresholds, the lead's current score and
bulk rescoring of open leads."""

import numpy as np
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from crm.customfields.models import CustomFieldDefinition
from crm.customfields.services import custom_field_archive
from crm.leads.models import Lead
from intelligence import corrections, registry, training
from intelligence.features import lead_feature_table
from intelligence.models import IntelligenceSettings, LeadScore
from intelligence.services import (
    intelligence_settings_get,
    lead_score_compute,
    lead_score_model_train,
    lead_score_rescore_all,
)

from .conftest import make_history, make_leads


@pytest.fixture
def trained(in_alpha):
    history = make_history()
    return history, lead_score_model_train()


def _trained_label(scores, version) -> None:
    assert {s.model_label for s in scores} == {version.label}
    for s in scores:
        assert 0 <= s.score <= 100 and 0 <= s.probability <= 1
        assert all(set(f) == {"label", "weight"} and f["weight"] != 0 for f in s.factors)


def test_nan_missing_and_unseen_values_are_scored(trained):
    _, version = trained
    leads = make_leads(
        5, source="never-seen-source",
        custom={"budget": "nan", "region": "atlantis", "duration": 5},
    )  # fmt: skip
    oddities = [{"budget": "inf"}, {"budget": "not a number"}, {"budget": None},
                {"budget": [1, 2], "region": {"x": 1}}, {}]  # fmt: skip
    for lead, custom in zip(leads, oddities, strict=True):
        lead.custom = custom
    Lead.objects.bulk_update(leads, ["custom"])
    scores = lead_score_compute(lead_ids=[lead.pk for lead in leads])
    assert len(scores) == 5
    _trained_label(scores, version)
    labels = {f["label"] for s in scores for f in s.factors}
    # an unknown number is said to be unknown, never shown as nan/inf
    assert not any("nan" in label or "inf" in label for label in labels), labels


def test_a_custom_field_archived_or_deleted_after_training_does_not_break_scoring(trained):
    history, version = trained
    custom_field_archive(definition=CustomFieldDefinition.objects.get(key="budget"))
    CustomFieldDefinition.objects.filter(key="region").delete()
    for lead in history[:10]:
        lead.custom = {}  # the values went with the field
    Lead.objects.bulk_update(history[:10], ["custom"])
    scores = lead_score_compute(lead_ids=[lead.pk for lead in history[:20]])
    assert len(scores) == 20
    _trained_label(scores, version)


def test_the_lead_keeps_its_current_score(trained):
    history, _ = trained
    ids = [lead.pk for lead in history[:15]]
    scores = {s.lead_id: s for s in lead_score_compute(lead_ids=ids)}
    for lead in Lead.objects.filter(pk__in=ids):
        s = scores[lead.pk]
        assert (lead.score, lead.temperature, lead.score_label) == (
            s.score, s.temperature, s.model_label)  # fmt: skip
        assert lead.score_changed_at is not None
    # the returned rows are the stored ones, field by field
    fields = [f.attname for f in LeadScore._meta.concrete_fields]
    for stored in LeadScore.objects.filter(lead_id__in=ids):
        returned = scores[stored.lead_id]
        assert [getattr(returned, f) for f in fields] == [getattr(stored, f) for f in fields]


def test_rescoring_rewrites_only_leads_whose_current_score_changed(trained):
    history, _ = trained
    ids = [lead.pk for lead in history[:6]]
    lead_score_compute(lead_ids=ids)
    Lead.objects.filter(pk=ids[0]).update(score=None)  # as if never scored
    Lead.objects.filter(pk=ids[1]).update(temperature="", score_label="old label")
    before = dict(Lead.objects.filter(pk__in=ids).values_list("pk", "score_changed_at"))
    history_rows = LeadScore.objects.filter(lead_id__in=ids).count()

    scores = {s.lead_id: s for s in lead_score_compute(lead_ids=ids)}

    after = {lead.pk: lead for lead in Lead.objects.filter(pk__in=ids)}
    for pk in ids:  # every lead shows its current score, changed or not
        lead, s = after[pk], scores[pk]
        assert (lead.score, lead.temperature, lead.score_label) == (
            s.score, s.temperature, s.model_label)  # fmt: skip
    assert after[ids[0]].score_changed_at > before[ids[0]]
    assert after[ids[1]].score_changed_at > before[ids[1]]
    assert all(after[pk].score_changed_at == before[pk] for pk in ids[2:])
    assert LeadScore.objects.filter(lead_id__in=ids).count() == history_rows + len(ids)


def test_duplicate_ids_are_scored_once(in_alpha):
    lead = make_leads(1)[0]
    assert len(lead_score_compute(lead_ids=[lead.pk, lead.pk])) == 1
    assert LeadScore.objects.filter(lead=lead).count() == 1


def test_settings_are_created_once_with_defaults(in_alpha):
    first, second = intelligence_settings_get(), intelligence_settings_get()
    assert first.pk == second.pk and IntelligenceSettings.objects.count() == 1
    assert (first.hot_threshold, first.warm_threshold) == (70, 40)


def test_workspace_thresholds_decide_the_temperature_for_rules(in_alpha):
    lead = make_leads(1, source="referral")[0]  # rules: 0.30 + 0.10 = 40
    assert lead_score_compute(lead_ids=[lead.pk])[0].temperature == "warm"
    IntelligenceSettings.objects.update(hot_threshold=40, warm_threshold=10)
    assert lead_score_compute(lead_ids=[lead.pk])[0].temperature == "hot"
    IntelligenceSettings.objects.update(hot_threshold=90, warm_threshold=50)
    score = lead_score_compute(lead_ids=[lead.pk])[0]
    assert (score.score, score.temperature) == (40, "cold")


def test_workspace_thresholds_decide_the_temperature_for_the_model(trained):
    history, _ = trained
    ids = [lead.pk for lead in history]
    IntelligenceSettings.objects.update(hot_threshold=60, warm_threshold=30)
    for s in lead_score_compute(lead_ids=ids):
        expected = "hot" if s.score >= 60 else "warm" if s.score >= 30 else "cold"
        assert s.temperature == expected


def test_precision_recall_use_the_workspace_hot_threshold(in_alpha):
    intelligence_settings_get()
    IntelligenceSettings.objects.update(hot_threshold=55, warm_threshold=25)
    make_history()
    assert lead_score_model_train().metrics["hot_threshold"] == 55


def test_thresholds_are_read_once_per_call(trained):
    history, _ = trained
    table = IntelligenceSettings._meta.db_table

    def reads(n: int) -> int:
        with CaptureQueriesContext(connection) as ctx:
            lead_score_compute(lead_ids=[lead.pk for lead in history[:n]])
        return sum(table in q["sql"] for q in ctx.captured_queries)

    assert reads(2) == reads(60) == 1


def test_rescore_all_scores_open_leads_only(in_alpha):
    open_leads = make_leads(7)
    closed = make_leads(4, status="lost")
    assert lead_score_rescore_all() == 7
    scored = set(LeadScore.objects.values_list("lead_id", flat=True))
    assert scored == {lead.pk for lead in open_leads}
    assert not scored & {lead.pk for lead in closed}
    assert Lead.objects.filter(pk__in=scored, score__isnull=False).count() == 7


def test_explanations_add_up_to_the_distance_from_an_average_lead(trained):
    # Linear model: top factors are the largest of contributions that sum to the logit
    # difference; so positive ones come first, sorted, then negative ones.
    history, _ = trained
    for s in lead_score_compute(lead_ids=[lead.pk for lead in history[:30]]):
        weights = [f["weight"] for f in s.factors]
        positives = [w for w in weights if w > 0]
        negatives = [w for w in weights if w < 0]
        assert weights == positives + negatives
        assert positives == sorted(positives, reverse=True)
        assert negatives == sorted(negatives)
        assert len(positives) <= 3 and len(negatives) <= 3


def test_a_large_history_gets_guarded_corrections_end_to_end(in_alpha, monkeypatch):
    monkeypatch.setattr(corrections, "MIN_ROWS", 100)  # the fixture history has 300 outcomes
    monkeypatch.setattr(corrections, "MIN_LEAF", 20)
    history = make_history()
    version = lead_score_model_train()
    assert "guarded tree corrections" in version.metrics["model"]
    registry._loaded.clear()  # read the stored artifact back (checksum, unpickling)
    far = history[0]
    far.custom = {**far.custom, "budget": 10_000}  # far beyond any budget in the history
    Lead.objects.filter(pk=far.pk).update(custom=far.custom)
    scores = lead_score_compute(lead_ids=[far.pk, history[1].pk])
    _trained_label(scores, version)
    payload = registry.model_payload_load(version)
    model = payload["model"]
    linear = model.named_steps["linear"]
    assert linear.corrections_ is not None
    X = lead_feature_table(lead_ids=[far.pk], spec=payload["spec"]).matrix(payload["spec"])
    T = training._transform(model.named_steps["prep"], X)
    logit, credit = linear.decision_parts(T)
    budget = [i for i, t in enumerate(payload["explainer"].texts) if t == "Budget"]
    assert linear.corrections_.uses[budget].any()  # trees do split on the budget ...
    assert credit[0, budget] == 0  # ... and none of them applies out there
    assert abs(scores[0].probability - 1 / (1 + np.exp(-logit[0]))) < 1e-6
