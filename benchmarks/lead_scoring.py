"""Lead scoring on real data: the UCI bank-marketing file (41,188 leads, ordered by date)
imported through the product's own import with its preset, trained through the product's
own training service (time-ordered: older 80 % train, newer 20 % test; `duration` excluded).

Reports (a) 5-fold stratified cross-validation AUC of the same pipeline on the same features,
(b) the time-split AUC and Brier score the training service records, training seconds and
peak RSS of a separate process that only trains (so the import does not count), and bulk
scoring throughput through `lead_score_compute` (features, model, explanations, LeadScore
history rows and the leads' current score), median of several runs: every current score
changing (after a training) and none changing (a quiet nightly rescoring)."""

from __future__ import annotations

import multiprocessing
import os
import resource
import statistics
import time
from pathlib import Path

from _harness import ROOT, report, setup_django, throwaway_database

BANK = ROOT.parent / "shared/data/bank-marketing/bank-additional-full.csv"
SCHEMA = "ws_bank"
SCORING_RUNS = 5


def _train_in_child(db_name: str, queue) -> None:
    """A fresh process that trains once: its peak RSS is the training's (plus Django's)."""
    setup_django()
    from django.db import connection
    from django_tenants.utils import schema_context

    from intelligence.services import lead_score_model_train

    connection.settings_dict["NAME"] = db_name
    with schema_context(SCHEMA):
        start = time.perf_counter()
        version = lead_score_model_train()
        seconds = time.perf_counter() - start
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux
    connection.close()
    queue.put({"version_pk": version.pk, "train_s": seconds, "peak_rss_mb": peak_mb})


def _cv_auc(ids: list[int], y) -> tuple[float, list[float]]:
    import numpy as np
    from sklearn.metrics import roc_auc_score
    from sklearn.model_selection import StratifiedKFold

    from intelligence import training
    from intelligence.features import lead_feature_spec, lead_features

    spec = training.model_spec(lead_feature_spec())
    _, rows = lead_features(lead_ids=ids, spec=spec)
    X = training.matrix(spec, [rows[pk] for pk in ids])
    aucs = []
    for train, test in StratifiedKFold(n_splits=5, shuffle=True, random_state=0).split(X, y):
        model = training.fit(spec, X[train], y[train])
        aucs.append(roc_auc_score(y[test], model.predict_proba(X[test])[:, 1]))
    return float(np.mean(aucs)), [round(float(a), 4) for a in aucs]


def main() -> None:
    setup_django()
    from django.db import connection
    from django_tenants.utils import schema_context

    from crm.imports.presets import bank_marketing_preset_install
    from crm.imports.services import import_job_create, import_job_run, import_job_start
    from crm.leads.models import Lead
    from crm.tenancy.services import public_workspace_ensure, workspace_create
    from intelligence.models import ModelVersion, TrainingRun
    from intelligence.services import _outcomes, lead_score_compute

    with throwaway_database():
        public_workspace_ensure()
        workspace_create(name="bank", slug="bank", owner_email="o@bank.test",
                         owner_password="Bench-Pass-2026")  # fmt: skip
        with schema_context(SCHEMA):
            start = time.perf_counter()
            preset = bank_marketing_preset_install()
            job = import_job_create(file_name=BANK.name, content=Path(BANK).read_bytes(),
                                    preset=preset)  # fmt: skip
            import_job_start(job=job)
            job = import_job_run(job_id=job.pk)
            import_s = time.perf_counter() - start

        db_name = connection.settings_dict["NAME"]
        connection.close()
        queue = multiprocessing.get_context("spawn").Queue()
        child = multiprocessing.get_context("spawn").Process(
            target=_train_in_child, args=(db_name, queue)
        )
        child.start()
        trained = queue.get(timeout=900)
        child.join()

        with schema_context(SCHEMA):
            version = ModelVersion.objects.get(pk=trained["version_pk"])
            run = TrainingRun.objects.get(model_version=version)
            ids, y = _outcomes()
            cv_auc, folds = _cv_auc(ids, y)

            # Each run twice: first with every lead's current score different (as after a
            # training: new label, new numbers), then again with nothing changed (as most leads
            # in a nightly rescoring: only their history row is written).
            rates, unchanged_rates = [], []
            for _ in range(SCORING_RUNS):
                Lead.objects.update(score=None, temperature="", score_label="")
                for into in (rates, unchanged_rates):
                    start = time.perf_counter()
                    scores = lead_score_compute(lead_ids=ids)
                    into.append(len(ids) / (time.perf_counter() - start))
            example = scores[-1]
        connection.close()
    metrics = version.metrics
    report("lead_scoring", {
        "rows_imported": job.created_count, "import_errors": job.error_count,
        "import_s": round(import_s, 2), "model": version.label, "model_kind": metrics.get("model"),
        "training_run": {"status": run.status, "reason": run.reason},
        "cv5_auc": round(cv_auc, 4), "cv5_folds": folds,
        "time_split_auc": metrics["auc"], "time_split_brier": metrics["brier"],
        "time_split_test_rows": metrics["test_rows"],
        "precision_at_hot": metrics["precision_at_hot"],
        "recall_at_hot": metrics["recall_at_hot"], "hot_threshold": metrics["hot_threshold"],
        "train_s": round(trained["train_s"], 2),
        "train_process_peak_rss_mb": round(trained["peak_rss_mb"]),
        "top_features": version.feature_importance[:8],
        "scoring_leads_per_s_median": round(statistics.median(rates)),
        "scoring_leads_per_s_runs": [round(r) for r in rates], "scoring_batch": len(ids),
        "scoring_unchanged_leads_per_s_median": round(statistics.median(unchanged_rates)),
        "scoring_unchanged_leads_per_s_runs": [round(r) for r in unchanged_rates],
        "example_score": {"score": example.score, "temperature": example.temperature,
                          "label": example.model_label, "factors": example.factors},
        "cpus": os.cpu_count(),
        "targets": {"cv5_auc": 0.80, "time_split_auc": 0.76, "scoring_leads_per_s": 5000,
                    "train_s": 60, "train_rss_mb": 1536},
    })  # fmt: skip


if __name__ == "__main__":
    main()
