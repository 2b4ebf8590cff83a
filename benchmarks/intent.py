"""Reply intent on the shipped labelled set (intelligence/language/data/replies.csv): train
on a stratified 80 % (fixed seed), evaluate the product's decision order — opt-out rules
first, then the classifier — on the held-out 20 %: macro-F1, per-class F1, opt-out recall,
false opt-outs, and classify latency. Also the same split under other seeds and 5-fold
cross-validation, so one lucky split does not carry the figure.

No database: the rules and the classifier are pure Python; the service adds one indexed
lookup of the workspace's corrections, not measured here."""

from __future__ import annotations

import statistics
import time

from _harness import percentile, report, setup_django

SEED = 7


def _decide(model, text: str) -> str:
    from intelligence.language.classifier import model_predict
    from intelligence.language.optout import optout_detect

    if optout_detect(text).decision:
        return "opt_out"
    return model_predict(model, text)[0]


def _evaluate(train_x, train_y, test_x, test_y) -> dict:
    from sklearn.metrics import f1_score

    from intelligence.language.classifier import model_train

    started = time.perf_counter()
    model = model_train(list(train_x), list(train_y))
    train_s = time.perf_counter() - started
    latencies, predicted = [], []
    for text in test_x:
        t0 = time.perf_counter()
        predicted.append(_decide(model, text))
        latencies.append(time.perf_counter() - t0)
    labels = sorted(set(test_y))
    per_class = f1_score(test_y, predicted, labels=labels, average=None)
    opt_outs = [p for p, y in zip(predicted, test_y, strict=True) if y == "opt_out"]
    false_opt_outs = [
        x for x, p, y in zip(test_x, predicted, test_y, strict=True)
        if p == "opt_out" and y != "opt_out"
    ]  # fmt: skip
    return {
        "macro_f1": round(float(f1_score(test_y, predicted, average="macro")), 4),
        "per_class_f1": {c: round(float(f), 4) for c, f in zip(labels, per_class, strict=True)},
        "opt_out_recall": round(opt_outs.count("opt_out") / len(opt_outs), 4),
        "false_opt_outs": false_opt_outs,
        "train_s": round(train_s, 2),
        "latencies": latencies,
        "test_rows": len(test_x),
    }


def main() -> None:
    setup_django()
    import numpy as np
    from sklearn.model_selection import StratifiedKFold, train_test_split

    from intelligence.language.classifier import dataset_load

    rows = dataset_load()
    texts = np.array([r.text for r in rows], dtype=object)
    intents = np.array([r.intent for r in rows])
    split = train_test_split(texts, intents, test_size=0.2, stratify=intents, random_state=SEED)
    train_x, test_x, train_y, test_y = split
    main_run = _evaluate(train_x, train_y, test_x, test_y)
    other_seeds = {}
    for seed in (1, 2, 3):
        xtr, xte, ytr, yte = train_test_split(
            texts, intents, test_size=0.2, stratify=intents, random_state=seed
        )
        other_seeds[seed] = _evaluate(xtr, ytr, xte, yte)["macro_f1"]
    folds = []
    for tr, te in StratifiedKFold(5, shuffle=True, random_state=SEED).split(texts, intents):
        folds.append(_evaluate(texts[tr], intents[tr], texts[te], intents[te]))
    latencies = main_run.pop("latencies")
    report(
        "intent",
        {
            "dataset_rows": len(rows),
            "held_out": {**main_run, "seed": SEED},
            "classify_latency": {
                "n": len(latencies),
                "p50_ms": round(statistics.median(latencies) * 1000, 2),
                "p95_ms": round(percentile(latencies, 95) * 1000, 2),
            },
            "macro_f1_other_seeds": other_seeds,
            "cv5": {
                "macro_f1_mean": round(statistics.mean(f["macro_f1"] for f in folds), 4),
                "macro_f1_min": min(f["macro_f1"] for f in folds),
                "opt_out_recall_min": min(f["opt_out_recall"] for f in folds),
                "false_opt_outs": sum(len(f["false_opt_outs"]) for f in folds),
            },
            "targets": {"macro_f1": 0.85, "opt_out_recall": 1.0},
        },
    )


if __name__ == "__main__":
    main()
