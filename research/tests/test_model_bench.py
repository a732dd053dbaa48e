"""research/model/bench_onnx.py runs on an exported model and prints the JSON the TypeScript bench reads."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from model import synthetic, train

ROOT = Path(__file__).resolve().parents[2]
BENCH = str(ROOT / "research/model/bench_onnx.py")


def test_bench_prints_timings(tmp_path: Path, fast_train_args: list[str]) -> None:
    f = synthetic.write(tmp_path / "f.parquet", synthetic.make_table(days=3, symbols=12, features=7, seed=2))
    assert train.main(["--features", str(f), "--out", str(tmp_path / "m"), "--holdout", "0", *fast_train_args]) == 0
    r = subprocess.run([sys.executable, BENCH, "--model", str(tmp_path / "m/model.onnx"), "--rows", "50",
                        "--iterations", "30", "--warmup", "2", "--json"], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    assert set(out) == {"p50_us", "p99_us", "mean_us", "min_us", "rows", "features", "iterations", "warmup", "onnxruntime_version"}
    assert (out["rows"], out["features"], out["iterations"]) == (50, 7, 30)
    assert 0 < out["min_us"] <= out["p50_us"] <= out["p99_us"]


def test_bench_missing_model(tmp_path: Path) -> None:
    r = subprocess.run([sys.executable, BENCH, "--model", str(tmp_path / "no.onnx")], capture_output=True, text=True)
    assert r.returncode == 2 and "no.onnx: no such file" in r.stderr
