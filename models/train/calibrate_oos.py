#!/usr/bin/env python3
"""Out-of-scope calibration of the intent head: temperature scaling + a threshold on the largest
in-scope probability, fitted on CLINC150 validation data that the model was NOT trained on (the bundle's
`clinc_calib` set: a fixed half of val + oos_val), never on test.

Decision rule (as the Rust engine applies it, see manifest.json heads.intent):
    probs = softmax(logits / temperature)
    predict `oos` if argmax(probs) == oos  OR  max over in-scope intents of probs < oos_threshold

1. temperature: minimises the negative log-likelihood on the calibration set (the argmax does not change).
2. threshold sweep 0.00 .. 0.99 (step 0.01): in-scope accuracy (151-way, `oos` counts as an error) and
   oos recall on the calibration set, and the same on CLINC150 test (reported only, not used to choose).
3. operating point, chosen on the calibration set only: the threshold with the highest oos recall whose
   in-scope accuracy stays within --max-inscope-drop points of the uncalibrated (argmax) accuracy there;
   ties go to the lower threshold.

Writes --out (oos-calibration.json). Usage:
    python calibrate_oos.py --model models/squeezebert-mini --bundle .train --out models/squeezebert-mini/oos-calibration.json
"""

import argparse
import json
import os
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

from evaluate_onnx import ort_encoder  # noqa: E402
from squeezebert_mini.data import Bundle  # noqa: E402


def log_softmax(x):
    x = x - x.max(axis=1, keepdims=True)
    return x - np.log(np.exp(x).sum(axis=1, keepdims=True))


def nll(logits, labels, t):
    return float(-log_softmax(logits / t)[np.arange(len(labels)), labels].mean())


def fit_temperature(logits, labels):
    """1-D search of log T (coarse grid, then golden-section refinement)."""
    grid = np.exp(np.linspace(np.log(0.05), np.log(20.0), 161))
    best = grid[int(np.argmin([nll(logits, labels, t) for t in grid]))]
    lo, hi = np.log(best) - 0.05, np.log(best) + 0.05
    g = (np.sqrt(5) - 1) / 2
    for _ in range(60):
        a, b = hi - g * (hi - lo), lo + g * (hi - lo)
        if nll(logits, labels, np.exp(a)) < nll(logits, labels, np.exp(b)):
            hi = b
        else:
            lo = a
    return float(np.exp((lo + hi) / 2))


def ece(logits, labels, t, bins=15):
    p = np.exp(log_softmax(logits / t))
    conf, pred = p.max(axis=1), p.argmax(axis=1)
    edges = np.linspace(0, 1, bins + 1)
    total = 0.0
    for lo, hi in zip(edges[:-1], edges[1:]):
        m = (conf > lo) & (conf <= hi)
        if m.any():
            total += m.mean() * abs(conf[m].mean() - (pred[m] == labels[m]).mean())
    return float(total)


def decide(logits, t, threshold, oos):
    p = np.exp(log_softmax(logits / t))
    pred = p.argmax(axis=1)
    inscope_max = np.delete(p, oos, axis=1).max(axis=1)
    return np.where((pred == oos) | (inscope_max < threshold), oos, pred)


def rates(pred, gold, oos):
    inscope = gold != oos
    return (round(100 * float(np.mean(pred[inscope] == gold[inscope])), 2),
            round(100 * float(np.mean(pred[~inscope] == oos)), 2))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--model", required=True)
    ap.add_argument("--bundle", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--max-inscope-drop", type=float, default=1.5,
                    help="allowed loss of calibration-set in-scope accuracy against argmax, in points")
    args = ap.parse_args()
    with open(os.path.join(args.model, "labels.json"), encoding="utf-8") as f:
        labels = json.load(f)["intent"]
    oos = labels.index("oos")
    bundle = Bundle(args.bundle)
    calib, test = bundle["clinc_calib"], bundle["clinc_test"]
    yc, yt = calib.labels.astype(np.int64), test.labels.astype(np.int64)
    logits = {}
    for variant, file in (("fp32", "model.onnx"), ("int8", "model_int8.onnx")):
        enc = ort_encoder(os.path.join(args.model, file))
        logits[variant] = (enc(calib)["intent"].astype(np.float64), enc(test)["intent"].astype(np.float64))
    lc, lt = logits["fp32"]
    t = fit_temperature(lc, yc)
    base_val = rates(decide(lc, 1.0, 0.0, oos), yc, oos)
    curve = []
    for thr in np.round(np.arange(0.0, 1.0, 0.01), 2):
        v = rates(decide(lc, t, thr, oos), yc, oos)
        te = rates(decide(lt, t, thr, oos), yt, oos)
        te8 = rates(decide(logits["int8"][1], t, thr, oos), yt, oos)
        curve.append({"threshold": float(thr), "val_inscope_acc": v[0], "val_oos_recall": v[1],
                      "test_inscope_acc": te[0], "test_oos_recall": te[1],
                      "test_int8_inscope_acc": te8[0], "test_int8_oos_recall": te8[1]})
    ok = [c for c in curve if c["val_inscope_acc"] >= base_val[0] - args.max_inscope_drop]
    chosen = max(ok, key=lambda c: (c["val_oos_recall"], -c["threshold"]))
    report = {
        "temperature": round(t, 4),
        "oos_threshold": chosen["threshold"],
        "decision": "probs = softmax(logits / temperature); oos if argmax == oos or max in-scope prob < oos_threshold",
        "selection_rule": f"highest calibration-set oos recall with calibration-set in-scope accuracy >= "
                          f"argmax accuracy - {args.max_inscope_drop} points; ties -> lower threshold",
        "calibration_set": f"bundle set clinc_calib: {int(np.sum(yc != oos))} in-scope + {int(np.sum(yc == oos))} oos "
                           "utterances of CLINC150 val/oos_val (data_oos_plus), a fixed half of val not used in training",
        "test_set": f"CLINC150 test: {int(np.sum(yt != oos))} in-scope + {int(np.sum(yt == oos))} oos (reported only)",
        "fitted_on": "model.onnx (float32); the int8 file's test figures use the same temperature and threshold",
        "calibration_nll": {"T=1": round(nll(lc, yc, 1.0), 4), "fitted": round(nll(lc, yc, t), 4)},
        "calibration_ece_15bins": {"T=1": round(ece(lc, yc, 1.0), 4), "fitted": round(ece(lc, yc, t), 4)},
        "uncalibrated": {"val_inscope_acc": base_val[0], "val_oos_recall": base_val[1],
                         "test_inscope_acc": rates(decide(lt, 1.0, 0.0, oos), yt, oos)[0],
                         "test_oos_recall": rates(decide(lt, 1.0, 0.0, oos), yt, oos)[1],
                         "test_int8_inscope_acc": rates(decide(logits["int8"][1], 1.0, 0.0, oos), yt, oos)[0],
                         "test_int8_oos_recall": rates(decide(logits["int8"][1], 1.0, 0.0, oos), yt, oos)[1]},
        "chosen": chosen,
        "curve": curve,
    }
    with open(args.out, "w", encoding="utf-8") as f:
        json.dump(report, f, indent=1)
    print(json.dumps({k: v for k, v in report.items() if k != "curve"}, indent=1))
    print("threshold  val_in  val_oos  test_in  test_oos")
    for c in curve[::5]:
        print(f"{c['threshold']:9.2f} {c['val_inscope_acc']:7.2f} {c['val_oos_recall']:8.2f} {c['test_inscope_acc']:8.2f} {c['test_oos_recall']:9.2f}")


if __name__ == "__main__":
    main()
