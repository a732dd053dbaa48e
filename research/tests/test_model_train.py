"""End-to-end runs of research/model/train.py on synthetic data: the ONNX interface, parity of the ONNX
graph with the native model (numpy encoder + LightGBM), golden outputs, the card, determinism, and the
autoencoder doing better than the all-zero baseline."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import onnx
import pytest

from model import onnx_export, synthetic, train
from model.dae import DaeConfig, fit_dae
from model.head import HeadConfig, fit_head
from model.pipeline import Fitted

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def features(tmp_path_factory: pytest.TempPathFactory) -> Path:
    d = tmp_path_factory.mktemp("features")
    return synthetic.write(d / "f.parquet", synthetic.make_table(days=6, symbols=30, features=12, missing=0.02, seed=5))


@pytest.fixture(scope="module")
def run(features: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    from conftest import FAST_TRAIN_ARGS

    out = tmp_path_factory.mktemp("run") / "m"
    assert train.main(["--features", str(features), "--out", str(out), "--name", "m", *FAST_TRAIN_ARGS]) == 0
    return out


def card_of(out: Path) -> dict:
    return json.loads((out / "card.json").read_text())


def test_onnx_interface(run: Path) -> None:
    model = onnx.load(run / "model.onnx")
    onnx.checker.check_model(model, full_check=True)
    card = card_of(run)
    (inp,), (out,) = model.graph.input, model.graph.output
    assert inp.name == card["input"]["name"] == "features"
    assert out.name == card["output"]["name"] == "score"
    assert inp.type.tensor_type.elem_type == onnx.TensorProto.FLOAT
    assert out.type.tensor_type.elem_type == onnx.TensorProto.FLOAT
    assert [d.dim_param or d.dim_value for d in inp.type.tensor_type.shape.dim] == ["N", 12] == card["input"]["shape"]
    assert [d.dim_param or d.dim_value for d in out.type.tensor_type.shape.dim] == ["N", 1] == card["output"]["shape"]
    assert {o.domain or "ai.onnx": o.version for o in model.opset_import} == card["opset"]
    meta = {p.key: p.value for p in model.metadata_props}
    assert json.loads(meta["feature_names"]) == card["feature_names"]
    assert meta["ts_known_cutoff"] == card["ts_known_cutoff"]


def test_card(run: Path, features: Path) -> None:
    card = card_of(run)
    assert card["feature_names"] == synthetic.feature_names(12) and card["n_features"] == 12
    assert card["bottleneck"] == card["dae"]["bottleneck"] == 8
    assert card["training_window"] == {"from": "2024-01-02", "to": "2024-01-09"}
    assert card["ts_known_cutoff"] == "2024-01-09T21:00:00.250123Z"
    m = card["metrics"]
    assert m["lightgbm_vs_onnx_max_abs_diff"] < 1e-5
    assert m["ic_holdout"] > 0.1 and m["ic_train"] > 0.1  # the synthetic return loads on a latent factor
    assert m["sessions"] == 6 and card["sessions"]["holdout"] == ["2024-01-09"]  # round(0.2 × 6) = 1
    assert m["rows_train"] + m["rows_holdout"] == m["rows_labelled"]
    assert card["head"]["params"]["deterministic"] is True and card["head"]["params"]["num_threads"] == 1
    for name in ("model.onnx", "golden.json"):
        assert card["files"][name]["bytes"] == (run / name).stat().st_size
    import hashlib

    assert card["files"]["model.onnx"]["sha256"] == hashlib.sha256((run / "model.onnx").read_bytes()).hexdigest()
    assert card["created_from"] == [{"file": "f.parquet", "bytes": features.stat().st_size,
                                     "sha256": hashlib.sha256(features.read_bytes()).hexdigest()}]
    assert set(card["versions"]) >= {"onnxruntime", "lightgbm", "scikit-learn"}


def test_dae_beats_the_zero_baseline(run: Path) -> None:
    dae = card_of(run)["dae"]
    assert dae["reconstruction_mse"] < 0.6 * dae["baseline_mse"]
    assert dae["holdout"]["reconstruction_mse"] < 0.6 * dae["holdout"]["baseline_mse"]


def test_golden_reproduces(run: Path) -> None:
    g = json.loads((run / "golden.json").read_text())
    assert g["feature_names"] == card_of(run)["feature_names"]
    x = np.array(g["inputs"], dtype=np.float32)
    assert x.shape == (32, 12)
    assert np.array_equal(x.astype(np.float64), np.array(g["inputs"]))  # every input is exactly a float32
    assert (x == 0).all(axis=1).any() and (x == 4).all(axis=1).any() and (x == -4).all(axis=1).any()
    sess = onnx_export.session((run / "model.onnx").read_bytes())
    y = onnx_export.run(sess, x)
    assert y.shape == (32, 1)
    assert np.array_equal(y.astype(np.float64), np.array(g["outputs"]))


def test_two_runs_are_byte_identical(run: Path, features: Path, tmp_path: Path, fast_train_args: list[str]) -> None:
    assert train.main(["--features", str(features), "--out", str(tmp_path / "m"), "--name", "m", *fast_train_args]) == 0
    for name in ("model.onnx", "golden.json", "card.json"):
        assert (tmp_path / "m" / name).read_bytes() == (run / name).read_bytes(), name
    assert train.main(["--features", str(features), "--out", str(tmp_path / "s"), "--name", "m", "--seed", "8", *fast_train_args]) == 0
    assert (tmp_path / "s" / "model.onnx").read_bytes() != (run / "model.onnx").read_bytes()


def test_cli_as_a_script(features: Path, tmp_path: Path, fast_train_args: list[str]) -> None:
    import subprocess
    import sys

    r = subprocess.run([sys.executable, str(ROOT / "research/model/train.py"), "--features", str(features),
                        "--out", str(tmp_path / "cli"), "--holdout", "0", *fast_train_args, "--bottleneck", "4"],
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    card = card_of(tmp_path / "cli")
    assert card["name"] == "cli" and card["bottleneck"] == 4
    assert card["metrics"]["ic_holdout"] is None and card["sessions"]["holdout"] == []
    assert card["fit"]["exported"] == "refit on the whole window"


def _latent_data(n: int, k: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    a = rng.standard_normal((n, 3))
    x = a @ rng.standard_normal((3, k)) * 0.8 + 0.4 * rng.standard_normal((n, k))
    return x.astype(np.float32).astype(np.float64), 0.01 * a[:, 0] + 0.01 * rng.standard_normal(n)


def test_parity_with_native_model_on_wide_inputs() -> None:
    """Rows far outside the training range (±4 and beyond) and exact zeros take the same tree branches."""
    x, y = _latent_data(4000, 16, seed=11)
    dae = fit_dae(x, DaeConfig(hidden=24, bottleneck=8, epochs=5), seed=3)
    fitted = Fitted(dae=dae, booster=fit_head(dae.encoder.encode(x), y, HeadConfig(trees=80, min_leaf=20), seed=3))
    model = onnx_export.build_model(dae.encoder, fitted.booster, [f"f{i}" for i in range(16)], {})
    sess = onnx_export.session(model.SerializeToString())
    rng = np.random.default_rng(0)
    probe = np.concatenate([x, rng.standard_normal((2000, 16)) * 3, np.zeros((1, 16)), np.full((1, 16), 4.0),
                            np.full((1, 16), -4.0), np.clip(rng.standard_normal((500, 16)) * 10, -50, 50)])
    probe = probe.astype(np.float32).astype(np.float64)
    diff = np.abs(onnx_export.run(sess, probe)[:, 0] - fitted.predict(probe))
    assert diff.max() < 1e-5


def test_trees_agree_with_onnxmltools() -> None:
    """An independent converter of the same booster gives the same scores (it keeps float32 thresholds,
    so a rare row within one float32 step of a threshold may differ; allow 0.5 % of rows)."""
    from onnxmltools.convert import convert_lightgbm
    from onnxmltools.convert.common.data_types import DoubleTensorType

    x, y = _latent_data(3000, 8, seed=12)
    booster = fit_head(x, y, HeadConfig(trees=60, min_leaf=20), seed=1)
    identity = type(fit_dae(x[:300], DaeConfig(hidden=4, bottleneck=4, epochs=1), 0).encoder)(
        weights=(np.eye(8), np.eye(8)), biases=(np.zeros(8), np.zeros(8)))
    positive = np.abs(x)  # the identity "encoder" has ReLUs, so compare on inputs they leave alone
    ours = onnx_export.session(onnx_export.build_model(identity, booster, [f"f{i}" for i in range(8)], {}).SerializeToString())
    theirs = onnx_export.session(convert_lightgbm(booster, initial_types=[("x", DoubleTensorType([None, 8]))], target_opset=15).SerializeToString())
    a = onnx_export.run(ours, positive)[:, 0]
    b = theirs.run(None, {"x": positive})[0][:, 0]
    assert np.mean(np.abs(a - b) > 1e-6) <= 0.005
    assert np.abs(a - booster.predict(positive)).max() < 1e-6
