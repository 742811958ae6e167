#!/usr/bin/env python3
"""Evaluate the ONNX files of a model folder (model.onnx, model_int8.onnx) on every evaluation set of a
training bundle with ONNX Runtime on CPU: the model-card metrics plus the support-message sentiment sets.
Used for before/after comparisons (the shipped model against a retrained one) on identical inputs.

Usage:
    python evaluate_onnx.py --model models/squeezebert-mini --bundle .train --out before.json [--eval-limit N]
Also prints the sentiment of the hand-written support probe messages (support_probe.tsv) with probabilities.
"""

import argparse
import json
import os
import sys
import time

import numpy as np
import onnxruntime as ort

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

from squeezebert_mini.data import Bundle  # noqa: E402
from squeezebert_mini.evaluation import evaluate, evaluation_sets  # noqa: E402

OUTPUTS = ["embedding", "sentiment_logits", "intent_logits"]


def ort_encoder(path: str, threads: int = 0):
    opts = ort.SessionOptions()
    if threads:
        opts.intra_op_num_threads = threads
    session = ort.InferenceSession(path, opts, providers=["CPUExecutionProvider"])

    def encode(texts):
        out = {"embedding": np.zeros((len(texts), 384), np.float32), "sentiment": None, "intent": None}
        for index, ids, mask in texts.sorted_batches(max_tokens=8192, max_batch=128):
            emb, sent, intent = session.run(OUTPUTS, {"input_ids": ids, "attention_mask": mask,
                                                      "token_type_ids": np.zeros_like(ids)})
            if out["sentiment"] is None:
                out["sentiment"] = np.zeros((len(texts), sent.shape[1]), np.float32)
                out["intent"] = np.zeros((len(texts), intent.shape[1]), np.float32)
            out["embedding"][index], out["sentiment"][index], out["intent"][index] = emb, sent, intent
        return out

    return encode


def softmax(x):
    e = np.exp(x - x.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--model", required=True, help="folder with model.onnx / model_int8.onnx / labels.json")
    ap.add_argument("--bundle", required=True)
    ap.add_argument("--out", required=True, help="JSON file to write")
    ap.add_argument("--eval-limit", type=int, default=None)
    ap.add_argument("--threads", type=int, default=0)
    ap.add_argument("--probe-only", action="store_true", help="only the hand-written support probe (fast)")
    args = ap.parse_args()
    with open(os.path.join(args.model, "labels.json"), encoding="utf-8") as f:
        labels = json.load(f)
    bundle = Bundle(args.bundle)
    sets = evaluation_sets(bundle.sets, limit=args.eval_limit)
    probe_texts = [line.rstrip("\n").split("\t", 1)[1] for line in open(os.path.join(HERE, "support_probe.tsv"), encoding="utf-8")
                   if line.strip() and not line.startswith("#")][1:]
    report = {"model": os.path.abspath(args.model), "eval_limit": args.eval_limit, "onnxruntime": ort.__version__}
    for name, file in (("onnx_fp32", "model.onnx"), ("onnx_int8", "model_int8.onnx")):
        t = time.time()
        encode = ort_encoder(os.path.join(args.model, file), args.threads)
        if not args.probe_only:
            report[name] = evaluate(encode, sets, labels["intent"])
        probs = softmax(encode(bundle["support_probe"])["sentiment"])
        gold = bundle["support_probe"].labels
        report[name + "_probe"] = [{"text": t_, "gold": labels["sentiment"][g], "pred": labels["sentiment"][int(p.argmax())],
                                    "probs": [round(float(x), 3) for x in p]} for t_, g, p in zip(probe_texts, gold, probs)]
        report[name + "_seconds"] = round(time.time() - t, 1)
        print(f"{name}: {report.get(name, 'probe only')} ({report[name + '_seconds']} s)", flush=True)
    with open(args.out, "w", encoding="utf-8") as f:
        json.dump(report, f, indent=1)
    for variant in ("onnx_fp32", "onnx_int8"):
        rows = report[variant + "_probe"]
        print(f"{variant}: support probe {sum(r['gold'] == r['pred'] for r in rows)}/{len(rows)} correct")
        for row in rows:
            flag = "" if row["gold"] == row["pred"] else "  <-- miss"
            print(f"  {row['gold']:8s} -> {row['pred']:8s} {row['probs']}  {row['text']}{flag}")


if __name__ == "__main__":
    main()
