"""The fast scoring paths keep their meaning: features read by the database (closed leads as
of their outcome, bad custom values as missing), the active model read on every call (an
activation is used at once, in the same process), one workspace's model never another's."""

from datetime import timedelta

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django_tenants.utils import schema_context

from crm.activities.models import Activity
from crm.customfields.services import custom_field_define
from crm.leads.models import Lead, LeadStatus
from intelligence import registry
from intelligence.features import lead_feature_table, lead_features
from intelligence.selectors import lead_score_current
from intelligence.services import (
    lead_score_compute,
    lead_score_model_train,
    model_version_activate,
)

from .conftest import make_history, make_leads


def test_a_closed_lead_is_described_as_it_was_when_it_closed(in_alpha):
    lead = make_leads(1)[0]
    closed_at = timezone.now() - timedelta(days=20)
    Lead.objects.filter(pk=lead.pk).update(
        status=LeadStatus.LOST,
        status_changed_at=closed_at,
        created_at=closed_at - timedelta(days=4),
    )
    for days_ago, direction in ((22, "inbound"), (21, "outbound"), (2, "inbound")):
        Activity.objects.create(lead=lead, kind="sms", direction=direction,
                                occurred_at=timezone.now() - timedelta(days=days_ago))  # fmt: skip
    row = lead_features(lead_ids=[lead.pk])[1][lead.pk]
    # the reply 2 days ago came after the outcome: not counted, not the last activity
    assert (row["inbound_messages"], row["outbound_messages"], row["inbound_7d"]) == (1, 1, 1)
    assert row["activities_7d"] == 2 and 0.9 < row["days_since_last_activity"] < 1.1
    assert 3.9 < row["days_since_created"] < 4.1


def test_bad_custom_values_read_as_missing_and_yes_no_as_categories(in_alpha):
    custom_field_define(entity="lead", key="budget", label="Budget", field_type="number")
    custom_field_define(entity="lead", key="plan", label="Plan", field_type="choice",
                        choices=["basic", "pro"])  # fmt: skip
    custom_field_define(entity="lead", key="vip", label="VIP", field_type="boolean")
    values = [
        ({"budget": 7, "plan": "pro", "vip": False}, 7.0, "pro", "no"),
        ({"budget": " 12.5 ", "plan": "", "vip": True}, 12.5, None, "yes"),
        ({"budget": "abc", "plan": 3}, None, "3", None),
        ({"budget": "nan"}, None, None, None),
        ({"budget": "1e400"}, None, None, None),  # overflows to infinity
        ({"budget": True}, None, None, None),
        ({"budget": None, "plan": None}, None, None, None),
        ({}, None, None, None),
    ]
    leads = make_leads(len(values))
    for lead, (custom, *_) in zip(leads, values, strict=True):
        Lead.objects.filter(pk=lead.pk).update(custom=custom)
    table = lead_feature_table(lead_ids=[lead.pk for lead in reversed(leads)])
    assert table.ids == [lead.pk for lead in reversed(leads)]  # the order asked for
    rows = table.rows()
    for lead, (_, budget, plan, vip) in zip(leads, values, strict=True):
        row = rows[lead.pk]
        assert (row["cf_budget"], row["cf_plan"], row["cf_vip"]) == (budget, plan, vip), row
    # every value numeric: the parsed-in-one-go path gives the same floats
    assert lead_feature_table(lead_ids=[leads[0].pk]).columns["cf_budget"] == [7.0]


def test_unknown_and_duplicate_ids_leave_no_gaps(in_alpha):
    leads = make_leads(2)
    table = lead_feature_table(lead_ids=[leads[1].pk, 0, leads[0].pk, leads[1].pk, 10**12])
    assert table.ids == [leads[1].pk, leads[0].pk]
    assert all(len(values) == 2 for values in table.columns.values())


def test_an_activation_is_used_by_the_next_score_in_the_same_process(in_alpha):
    history = make_history()
    v1 = lead_score_model_train()
    v2 = lead_score_model_train()
    lead = history[0].pk
    assert lead_score_compute(lead_ids=[lead])[0].model_version_id == v2.pk
    model_version_activate(version=v1)
    assert lead_score_compute(lead_ids=[lead])[0].model_version_id == v1.pk
    model_version_activate(version=v2)
    score = lead_score_compute(lead_ids=[lead])[0]
    assert score.model_version_id == v2.pk and score.model_label.startswith("trained v2,")
    # the score carries its version (no read-back), without the artifact bytes
    with CaptureQueriesContext(connection) as ctx:
        assert score.model_version.version == 2
        assert score.model_version.metrics["auc"] == v2.metrics["auc"]
    assert not ctx.captured_queries


def test_a_restored_artifact_is_reloaded_not_served_from_memory(in_alpha):
    history = make_history()
    version = lead_score_model_train()
    lead_score_compute(lead_ids=[history[0].pk])  # loaded and cached in this process
    registry._loaded.clear()
    version.sha256 = "0" * 64
    version.save(update_fields=["sha256"])
    assert lead_score_compute(lead_ids=[history[0].pk])[0].model_label == "rules"


def test_what_compute_returns_is_what_was_stored(in_alpha):
    history = make_history()
    lead_score_model_train()
    returned = lead_score_compute(lead_ids=[history[0].pk])[0]
    stored = lead_score_current(lead_id=history[0].pk)
    fields = ("pk", "lead_id", "score", "probability", "temperature", "model_label",
              "model_version_id", "factors", "scored_at")  # fmt: skip
    assert [getattr(returned, f) for f in fields] == [getattr(stored, f) for f in fields]


def test_workspaces_never_share_a_loaded_model(alpha, beta):
    with schema_context(alpha.schema):
        history = make_history(seed=7)
        alpha_version = lead_score_model_train()
        alpha_score = lead_score_compute(lead_ids=[history[0].pk])[0]
    with schema_context(beta.schema):
        leads = make_leads(1)
        assert lead_score_compute(lead_ids=[leads[0].pk])[0].model_label == "rules"
        history = make_history(seed=8)
        beta_version = lead_score_model_train()
        beta_score = lead_score_compute(lead_ids=[history[0].pk])[0]
    # same version number and possibly the same row id, each its own model
    assert alpha_version.version == beta_version.version == 1
    assert alpha_version.sha256 != beta_version.sha256
    assert alpha_score.model_version.metrics == alpha_version.metrics
    assert beta_score.model_version.metrics == beta_version.metrics
    assert (
        registry._loaded[(alpha.schema, alpha_version.pk, alpha_version.sha256)]
        is not (registry._loaded[(beta.schema, beta_version.pk, beta_version.sha256)])
    )


def test_the_fast_transform_equals_scikit_learns():
    import numpy as np

    from intelligence import training
    from intelligence.features import FeatureSpec

    spec = FeatureSpec(numeric=("a", "b"), categorical=("c", "d"))
    rng = np.random.default_rng(3)
    rows = [[float(rng.normal()), None if i % 7 == 0 else float(i % 11),
             ("x", "y", "z")[i % 3] if i % 13 else "rare" if i < 30 else None,
             "yes" if i % 2 else "no"] for i in range(200)]  # fmt: skip
    X = np.array(rows, dtype=object)
    y = np.array([int(r[0] > 0) for r in rows])
    model = training.fit(spec, X, y)
    prep = model.named_steps["prep"]
    assert "cat__x2_infrequent_sklearn" in " ".join(prep.get_feature_names_out())  # "rare" grouped
    odd = np.array([[None, float("nan"), "unseen", None], [float("inf"), 3, "rare", "yes"],
                    [1e308, -2.5, None, "no"], [0.0, None, "x", 1]], dtype=object)  # fmt: skip
    fast = training.fast_prep(prep)
    assert fast is not None
    for block in (X, odd):
        assert np.allclose(fast.transform(block), np.asarray(prep.transform(block), dtype=float))
    one = training.predict_matrix(spec, model, odd[:1], "m")  # one row and many, end to end
    many = training.predict_matrix(spec, model, np.repeat(odd[:1], 100, axis=0), "m")
    assert one[0] == many[0]


def test_versions_trained_before_the_corrections_still_score():
    import numpy as np
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import Pipeline

    from intelligence import training
    from intelligence.features import FeatureSpec

    spec = FeatureSpec(numeric=("a",), categorical=("c",))
    X = np.array([[float(i % 10), "x" if i % 3 else "y"] for i in range(120)], dtype=object)
    y = np.array([int(i % 10 > 4) for i in range(120)])
    old = Pipeline([("prep", training.build_preprocessor(spec)),
                    ("linear", LogisticRegression())]).fit(X, y)  # fmt: skip
    scored = training.predict_matrix(spec, old, X[:3], "trained v1")
    expected = old.predict_proba(X[:3])[:, 1]
    assert np.allclose([s.probability for s in scored], expected, atol=1e-6)
    assert all(s.factors for s in scored)


def _plan_model():
    """A model where the plan drives conversion: gold converts, bronze does not."""
    import numpy as np

    from intelligence import training
    from intelligence.features import FeatureSpec

    spec = FeatureSpec(numeric=("visits",), categorical=("plan",),
                       labels={"visits": "Visits", "plan": "Plan"})  # fmt: skip
    rng = np.random.default_rng(5)
    plans = rng.choice(["gold", "silver", "bronze"], size=600, p=[0.2, 0.5, 0.3])
    visits = rng.poisson(3, size=600).astype(float)
    logit = 0.3 * (visits - 3) + np.select([plans == "gold", plans == "bronze"], [2.0, -2.0], 0)
    y = (rng.random(600) < 1 / (1 + np.exp(-logit))).astype(int)
    X = np.empty((600, 2), dtype=object)
    X[:, 0], X[:, 1] = visits, plans
    model = training.fit(spec, X, y)
    return spec, model, X, training.Explainer.build(spec, model, X)


def test_a_category_factor_names_the_leads_own_value():
    import numpy as np

    from intelligence import training

    spec, model, _, explainer = _plan_model()
    leads = np.array([[3.0, "silver"], [3.0, "bronze"], [3.0, "gold"]], dtype=object)
    silver, bronze, gold = training.predict_matrix(spec, model, leads, "m", explainer=explainer)
    plan_factors = [[f for f in s.factors if f["label"].startswith("Plan")]
                    for s in (silver, bronze, gold)]  # fmt: skip
    # One factor per feature, named by the lead's value (never "Plan: gold" for a silver lead).
    assert [[f["label"] for f in fs] for fs in plan_factors[1:]] == [
        ["Plan: bronze"],
        ["Plan: gold"],
    ]
    assert plan_factors[1][0]["weight"] < 0 < plan_factors[2][0]["weight"]
    assert all(f["label"] == "Plan: silver" for f in plan_factors[0])


def test_an_unseen_category_scores_like_an_average_lead_on_it_and_explains_nothing():
    import numpy as np

    from intelligence import training

    spec, model, X, explainer = _plan_model()
    prep = model.named_steps["prep"]
    seen = np.asarray(prep.transform(X), dtype=float)
    lead = np.array([[3.0, "platinum"]], dtype=object)  # a plan added after training
    for transformed in (np.asarray(prep.transform(lead), dtype=float),
                        training.fast_prep(prep).transform(lead)):  # fmt: skip
        assert np.allclose(transformed[0, 1:], seen[:, 1:].mean(axis=0))
    (scored,) = training.predict_matrix(spec, model, lead, "m", explainer=explainer)
    assert not [f for f in scored.factors if f["label"].startswith("Plan")]


def test_encoders_fitted_before_the_average_still_read_unseen_values_as_zeros():
    import numpy as np
    from sklearn.preprocessing import OneHotEncoder

    from intelligence import training

    spec, _, X, _ = _plan_model()
    prep = training.build_preprocessor(spec)
    prep.set_params(cat__onehot=OneHotEncoder(handle_unknown="ignore", min_frequency=5))
    prep.fit(X)
    lead = np.array([[3.0, "platinum"], [2.0, "gold"]], dtype=object)
    fast = training.fast_prep(prep).transform(lead)
    assert np.allclose(fast, np.asarray(prep.transform(lead), dtype=float))
    assert not fast[0, 1:].any()


def test_explainers_pickled_before_input_labels_still_name_categories():
    import pickle

    import numpy as np

    from intelligence import training

    spec, model, _, explainer = _plan_model()
    del explainer.__dict__["input_labels"]  # as unpickled from a version trained earlier
    old = pickle.loads(pickle.dumps(explainer))
    lead = np.array([[3.0, "bronze"]], dtype=object)
    (scored,) = training.predict_matrix(spec, model, lead, "m", explainer=old)
    assert "Plan: bronze" in [f["label"] for f in scored.factors]


def test_factor_labels_follow_each_leads_own_value_in_one_batch():
    """Labels are cached per batch by (feature, type, value, side of the average): a batch
    mixing values that compare equal (True and 1) or repeat still names each lead's own."""
    import numpy as np

    from intelligence import training

    spec, model, _, explainer = _plan_model()
    leads = np.array([[12.0, "gold"], [0.0, "bronze"], [12.0, "gold"], [0.0, "bronze"]],
                     dtype=object)  # fmt: skip
    scored = training.predict_matrix(spec, model, leads, "m", explainer=explainer)
    labels = [{f["label"] for f in s.factors} for s in scored]
    assert {"Plan: gold", "Visits high (12)"} <= labels[0] and labels[0] == labels[2]
    assert {"Plan: bronze", "Visits low (0)"} <= labels[1] and labels[1] == labels[3]
    odd = training.Explainer.build(spec, model, leads)
    row = np.array([[1, True], [1, 1]], dtype=object)  # a mixed-up column: True then 1
    transformed = np.zeros((2, len(odd.source)))
    names = [f["label"] for r in odd.factors(row, transformed + 5.0) for f in r]
    assert "Plan: True" in names and "Plan: 1" in names


def test_scoring_leaves_garbage_collection_as_it_found_it(monkeypatch):
    """Explanations are built with the GC paused; it is back on afterwards, even when building
    them fails, and left off if the caller had switched it off."""
    import gc

    import numpy as np
    import pytest

    from intelligence import training

    spec, model, _, explainer = _plan_model()
    lead = np.array([[3.0, "gold"]], dtype=object)
    assert gc.isenabled()
    training.predict_matrix(spec, model, lead, "m", explainer=explainer)
    assert gc.isenabled()
    gc.disable()
    try:
        training.predict_matrix(spec, model, lead, "m", explainer=explainer)
        assert not gc.isenabled()
    finally:
        gc.enable()

    def broken(*_args, **_kwargs):
        assert not gc.isenabled()  # paused while explanations are built
        raise RuntimeError("explanations failed")

    monkeypatch.setattr(explainer, "factors", broken)
    with pytest.raises(RuntimeError):
        training.predict_matrix(spec, model, lead, "m", explainer=explainer)
    assert gc.isenabled()
