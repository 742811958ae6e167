"""Where the time of one forward pass goes, per ONNX operator type, from ONNX Runtime's own
profiler; and the machine's measured GEMM rate (the practical ceiling of an encoder).

    python models/scripts/profile_onnx.py models/squeezebert-mini/model.onnx --seq 32 --threads 1
    python models/scripts/profile_onnx.py --gemm

Uses the same ONNX Runtime release as the app (models/scripts/requirements.txt) with the app's
session settings (all graph optimisations, intra-op threads as given, no spinning).
"""
import argparse
import collections
import json
import os
import tempfile
import time

import numpy as np
import onnxruntime as ort


def session(path, threads, profile=False):
    so = ort.SessionOptions()
    so.intra_op_num_threads = threads
    so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    so.add_session_config_entry("session.intra_op.allow_spinning", "0")
    if profile:
        so.enable_profiling = True
        so.profile_file_prefix = os.path.join(tempfile.mkdtemp(), "ort")
    return ort.InferenceSession(path, so, providers=["CPUExecutionProvider"])


def feed_for(sess, seq):
    rng = np.random.default_rng(0)
    ids = rng.integers(1000, 20000, (1, seq)).astype(np.int64)
    ids[0, 0], ids[0, -1] = 101, 102
    feed = {}
    for i in sess.get_inputs():
        feed[i.name] = {"input_ids": ids, "attention_mask": np.ones_like(ids)}.get(i.name, np.zeros_like(ids))
    return feed


def profile(path, seq, threads, runs):
    sess = session(path, threads, profile=True)
    feed = feed_for(sess, seq)
    for _ in range(20):
        sess.run(None, feed)
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        sess.run(None, feed)
        times.append((time.perf_counter() - t) * 1e3)
    events = json.load(open(sess.end_profiling()))
    per_op = collections.Counter()
    nodes = collections.Counter()
    for e in events:
        if e.get("cat") == "Node" and e["name"].endswith("_kernel_time"):
            per_op[e["args"]["op_name"]] += e["dur"]
            nodes[e["args"]["op_name"]] += 1
    total_runs = runs + 20
    total = sum(per_op.values())
    print(f"{os.path.basename(path)}: batch 1, {seq} tokens, {threads} thread(s): "
          f"p50 {np.median(times):.2f} ms, min {min(times):.2f} ms over {runs} runs")
    print(f"{'operator':<28} {'µs/run':>9} {'share':>7} {'nodes':>6}")
    for op, us in per_op.most_common():
        print(f"{op:<28} {us / total_runs:9.1f} {100 * us / total:6.1f}% {nodes[op] / total_runs:6.0f}")


def gemm(threads, n=1024, runs=30):
    import onnx
    from onnx import TensorProto, helper

    graph = helper.make_graph(
        [helper.make_node("MatMul", ["a", "b"], ["c"])], "gemm",
        [helper.make_tensor_value_info("a", TensorProto.FLOAT, [n, n]), helper.make_tensor_value_info("b", TensorProto.FLOAT, [n, n])],
        [helper.make_tensor_value_info("c", TensorProto.FLOAT, [n, n])])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)], ir_version=8)
    path = os.path.join(tempfile.mkdtemp(), "gemm.onnx")
    onnx.save(model, path)
    sess = session(path, threads)
    a = np.random.default_rng(0).random((n, n), dtype=np.float32)
    for _ in range(3):
        sess.run(None, {"a": a, "b": a})
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        sess.run(None, {"a": a, "b": a})
        times.append(time.perf_counter() - t)
    print(f"ONNX Runtime fp32 GEMM {n}×{n}×{n}, {threads} thread(s): {2 * n ** 3 / np.median(times) / 1e9:.0f} GFLOP/s "
          f"(best {2 * n ** 3 / min(times) / 1e9:.0f})")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("model", nargs="?", help="ONNX file to profile")
    ap.add_argument("--seq", type=int, default=32)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--runs", type=int, default=200)
    ap.add_argument("--gemm", action="store_true", help="measure ONNX Runtime's fp32 GEMM rate on 1 and 2 threads")
    args = ap.parse_args()
    if args.gemm:
        for t in (1, 2):
            gemm(t)
    if args.model:
        profile(args.model, args.seq, args.threads, args.runs)
    if not args.gemm and not args.model:
        ap.error("give a model, --gemm, or both")


if __name__ == "__main__":
    main()
