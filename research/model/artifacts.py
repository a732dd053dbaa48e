"""Writes the output folder: model.onnx, golden.json (inputs and onnxruntime outputs) and card.json.
Everything is a function of the inputs and the seed (sorted keys, no clock), so a re-run is
byte-identical."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import platform
from pathlib import Path

import numpy as np

GOLDEN_EDGE_ROWS = 4  # all zeros, all +4, all -4, alternating ±4


def sha256_of(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def file_entry(path: Path) -> dict:
    return {"sha256": sha256_of(path), "bytes": path.stat().st_size}


def iso_us(ts_us: int) -> str:
    t = dt.datetime(1970, 1, 1, tzinfo=dt.timezone.utc) + dt.timedelta(microseconds=int(ts_us))
    return t.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def golden_inputs(x: np.ndarray, n_rows: int, seed: int) -> np.ndarray:
    """`n_rows` float32 rows: evenly spread rows of `x` (already float32-representable) chosen from the
    seed, then the edge rows."""
    k = x.shape[1]
    edges = np.stack([np.zeros(k), np.full(k, 4.0), np.full(k, -4.0), np.where(np.arange(k) % 2 == 0, 4.0, -4.0)])
    take = max(n_rows - len(edges), 0)
    rng = np.random.default_rng(seed)
    idx = np.sort(rng.choice(len(x), size=min(take, len(x)), replace=False))
    return np.concatenate([x[idx], edges]).astype(np.float32)


def _rows_json(rows: np.ndarray) -> str:
    # float(np.float32) is exact, and repr of a float round-trips: full precision.
    return "[\n" + ",\n".join("    [" + ", ".join(repr(float(v)) for v in r) + "]" for r in rows) + "\n  ]"


def write_golden(path: Path, feature_names: list[str], inputs: np.ndarray, outputs: np.ndarray) -> None:
    text = (
        "{\n"
        f'  "feature_names": {json.dumps(feature_names)},\n'
        f'  "inputs": {_rows_json(inputs)},\n'
        f'  "outputs": {_rows_json(outputs.reshape(len(outputs), -1))}\n'
        "}\n"
    )
    path.write_text(text, encoding="utf-8")


def write_json(path: Path, obj: dict) -> None:
    path.write_text(json.dumps(obj, sort_keys=True, indent=2, ensure_ascii=False, allow_nan=False) + "\n", encoding="utf-8")


def versions() -> dict:
    import lightgbm
    import onnx
    import onnxruntime
    import pyarrow
    import sklearn

    return {
        "python": platform.python_version(),
        "numpy": np.__version__,
        "scikit-learn": sklearn.__version__,
        "lightgbm": lightgbm.__version__,
        "onnx": onnx.__version__,
        "onnxruntime": onnxruntime.__version__,
        "pyarrow": pyarrow.__version__,
    }
