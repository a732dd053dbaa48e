"""Times onnxruntime (Python) scoring one batch of seeded random rows with an exported model: one
intra-op thread, sequential execution, the same settings the parity checks use. The TypeScript bench
runs it for the Python side of its comparison.

    python research/model/bench_onnx.py --model models/NAME/model.onnx --rows 500 --iterations 2000 --json
    (--input FILE: the rows as raw float32, so both sides score the same values)

Prints {p50_us, p99_us, mean_us, min_us, rows, features, iterations, warmup, onnxruntime_version} with
--json, a one-line summary otherwise. Each sample is one session.run of the whole batch."""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np
import onnxruntime as ort


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="bench_onnx.py", description="Time onnxruntime on a batch of random rows.")
    p.add_argument("--model", type=Path, required=True)
    p.add_argument("--rows", type=int, default=500)
    p.add_argument("--iterations", type=int, default=2000)
    p.add_argument("--warmup", type=int, default=50)
    p.add_argument("--seed", type=int, default=7)
    p.add_argument("--input", type=Path, help="rows × features float32 values (raw little-endian), instead of seeded random rows")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    a = p.parse_args(argv)
    if a.rows < 1 or a.iterations < 1 or a.warmup < 0:
        p.error("--rows and --iterations must be >= 1, --warmup >= 0")
    if not a.model.is_file():
        print(f"bench_onnx.py: error: {a.model}: no such file", file=sys.stderr)
        return 2

    opts = ort.SessionOptions()
    opts.intra_op_num_threads = 1
    opts.inter_op_num_threads = 1
    opts.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    sess = ort.InferenceSession(str(a.model), sess_options=opts, providers=["CPUExecutionProvider"])
    inp = sess.get_inputs()[0]
    k = inp.shape[1]
    if not isinstance(k, int):
        print(f"bench_onnx.py: error: {a.model}: input {inp.name!r} has no fixed feature count ({inp.shape})", file=sys.stderr)
        return 2
    if a.input is not None:
        raw = np.fromfile(a.input, dtype="<f4")
        if raw.size != a.rows * k:
            print(f"bench_onnx.py: error: {a.input}: {raw.size} float32 values, expected --rows {a.rows} × {k} features", file=sys.stderr)
            return 2
        x = raw.reshape(a.rows, k)
    else:
        x = np.random.default_rng(a.seed).standard_normal((a.rows, k)).astype(np.float32)
    feed = {inp.name: x}
    out = [sess.get_outputs()[0].name]
    for _ in range(a.warmup):
        sess.run(out, feed)
    times = np.empty(a.iterations)
    for i in range(a.iterations):
        t0 = time.perf_counter_ns()
        sess.run(out, feed)
        times[i] = (time.perf_counter_ns() - t0) / 1000.0
    res = {
        "p50_us": float(np.percentile(times, 50)),
        "p99_us": float(np.percentile(times, 99)),
        "mean_us": float(times.mean()),
        "min_us": float(times.min()),
        "rows": a.rows,
        "features": k,
        "iterations": a.iterations,
        "warmup": a.warmup,
        "onnxruntime_version": ort.__version__,
    }
    if a.json:
        print(json.dumps(res, sort_keys=True))
    else:
        print(f"{a.model}: {a.rows} rows × {k} features: p50 {res['p50_us']:.1f} µs, p99 {res['p99_us']:.1f} µs, "
              f"mean {res['mean_us']:.1f} µs over {a.iterations} runs (onnxruntime {ort.__version__})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
