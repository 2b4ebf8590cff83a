"""The 3-year value formula against numbers computed by hand, and its bad inputs."""

import math
from datetime import timedelta
from decimal import Decimal

from django.utils import timezone

from intelligence.customers import clv
from intelligence.customers.services import customer_scores_compute, workspace_monthly_rate

from .conftest import add_won, make_company


def test_formula_matches_hand_computation():
    # 12,000 won over 12 months (own 1,000/month), workspace 500/month: weight 12/(12+6) = 2/3
    # → 833.33/month. 10 % churn in 90 days → survival 0.9^(m/3) a month; the 36-month sum
    # Σ 0.9^(m/3) = 20.0752 expected months (closed form checked against the plain loop).
    estimate = clv.clv_formula(revenue=12_000, tenure_months=12, workspace_rate=500,
                               churn_probability=0.1, discount=0.0)  # fmt: skip
    c = estimate.components
    assert c["own_monthly_rate"] == 1000 and c["own_rate_weight"] == round(2 / 3, 4)
    assert c["monthly_revenue_rate"] == 833.33
    assert math.isclose(c["survival_weighted_months"], 20.075, abs_tol=0.001)
    assert math.isclose(sum(0.9 ** (m / 3) for m in range(1, 37)), 20.0752, abs_tol=1e-4)
    assert estimate.value == Decimal("16729.31")


def test_discount_and_certain_survival():
    # No churn, no discount: exactly 36 months.
    assert clv.survival_months(0.0) == 36.0
    # 1 % a month discount with 10 % quarterly churn: Σ (0.9^(1/3) / 1.01)^m = 17.4094
    assert math.isclose(clv.survival_months(clv.monthly_hazard(0.1), discount=0.01), 17.4094,
                        abs_tol=1e-4)  # fmt: skip
    assert clv.survival_months(clv.monthly_hazard(1.0)) == 0.0


def test_bad_inputs_are_handled_not_raised():
    # zero tenure: the workspace's rate, no own rate
    young = clv.clv_formula(revenue=5_000, tenure_months=0, workspace_rate=300,
                            churn_probability=0.0, discount=0.0)  # fmt: skip
    assert young.components["own_monthly_rate"] is None
    assert young.value == Decimal("10800.00")  # 300 a month for 36 months
    # no won deals: own rate 0 pulls the rate down
    none_won = clv.clv_formula(revenue=0, tenure_months=6, workspace_rate=300,
                               churn_probability=0.0, discount=0.0)  # fmt: skip
    assert none_won.components["monthly_revenue_rate"] == 150.0  # half weight on 0
    # NaN and infinities read as nothing, never NaN money
    nan = clv.clv_formula(revenue=float("nan"), tenure_months=float("nan"),
                          workspace_rate=float("inf"), churn_probability=float("nan"),
                          discount=0.0)  # fmt: skip
    assert nan.value == Decimal("0.00")
    assert clv.monthly_hazard(float("nan")) == 0.0


def test_service_uses_pooled_workspace_rate_and_survives_missing_amounts(in_alpha):
    now = timezone.now()
    veteran = make_company(became=now - timedelta(days=730))
    add_won(veteran, [(now - timedelta(days=400), 12_000), (now - timedelta(days=30), 0)])
    newcomer = make_company(became=now)  # zero tenure, no won deals
    rate = workspace_monthly_rate(now=now)
    # 12,000 over 24 months (veteran) + 1 month minimum (newcomer) = 25 customer-months
    assert math.isclose(rate, 12_000 / 25, rel_tol=0.01)
    scores = {s.company_id: s for s in customer_scores_compute(
        keys=[("company", veteran.pk), ("company", newcomer.pk)], now=now)}  # fmt: skip
    fresh = scores[newcomer.pk].clv_components
    assert fresh["own_monthly_rate"] is None
    assert fresh["monthly_revenue_rate"] == round(rate, 2)
    assert scores[veteran.pk].clv_3y > 0
    assert scores[newcomer.pk].clv_label == "formula"
