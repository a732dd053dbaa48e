"""Trains the denoising-autoencoder + LightGBM model on the graph's feature Parquet files and writes
model.onnx, golden.json and card.json to --out.

    python research/model/train.py --features F.parquet [--features G.parquet ...] --out DIR \
        [--from YYYY-MM-DD --to YYYY-MM-DD] [--bottleneck 64] [--noise 0.1] [--horizon 1] [--seed 7] [--holdout 0.2]

Exit codes: 0 done, 2 bad input or arguments (the message names the file and the column or value)."""

from __future__ import annotations

import argparse
import ctypes
import datetime as dt
import math
import os
import signal
import sys
from pathlib import Path

if __package__ in (None, ""):
    # Run as a script: import the package from research/, not the modules from this folder as top-level names.
    sys.path[0] = str(Path(__file__).resolve().parent.parent)

import numpy as np

from model import artifacts, data, onnx_export, pipeline
from model.dae import DaeConfig
from model.errors import TrainInputError
from model.head import HeadConfig, lightgbm_params

LABEL = ("log(price[t+h] / price[t]) for the same symbol, t+h the snapshot `horizon` snapshots later in the same "
         "session (UTC date), demeaned across the symbols with a label at snapshot t")


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date YYYY-MM-DD") from None


def _fraction(text: str) -> float:
    v = float(text)
    if not 0 <= v < 1:
        raise argparse.ArgumentTypeError(f"{text} is not in [0, 1)")
    return v


def _positive(text: str) -> int:
    v = int(text)
    if not 1 <= v <= 1_000_000:
        raise argparse.ArgumentTypeError(f"{text} is not an integer from 1 to 1,000,000")
    return v


def _seed(text: str) -> int:
    v = int(text)
    if not 0 <= v <= 2**32 - 1:
        raise argparse.ArgumentTypeError(f"{text} is not a seed from 0 to 4294967295")
    return v


def _finite_positive(text: str) -> float:
    v = float(text)
    if not (math.isfinite(v) and v > 0):
        raise argparse.ArgumentTypeError(f"{text} is not a finite number above 0")
    return v


def _finite_non_negative(text: str) -> float:
    v = float(text)
    if not (math.isfinite(v) and v >= 0):
        raise argparse.ArgumentTypeError(f"{text} is not a finite number from 0 up")
    return v


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="train.py", description=__doc__.split("\n\n")[0])
    p.add_argument("--features", type=Path, action="append", required=True, metavar="FILE",
                   help="feature Parquet file (repeatable; all must have the same columns)")
    p.add_argument("--out", type=Path, required=True, metavar="DIR", help="output folder (created; files in it are overwritten)")
    p.add_argument("--name", help="model name in the card (default: the --out folder's name)")
    p.add_argument("--from", dest="date_from", type=_date, metavar="YYYY-MM-DD", help="first session (UTC date of ts_event), inclusive")
    p.add_argument("--to", dest="date_to", type=_date, metavar="YYYY-MM-DD", help="last session, inclusive; no later row is read past the filter")
    p.add_argument("--horizon", type=_positive, default=1, help="label horizon in snapshots (default 1)")
    p.add_argument("--holdout", type=_fraction, default=0.2, help="fraction of the window's last sessions held out for metrics (default 0.2; 0 = none)")
    p.add_argument("--no-refit", dest="refit", action="store_false",
                   help="export the model fitted on the training sessions only (default: refit on the whole window)")
    p.add_argument("--seed", type=_seed, default=7, help="seed for the DAE, its noise, LightGBM and the golden rows (default 7)")
    p.add_argument("--on-nonfinite", choices=("drop", "error"), default="drop",
                   help="rows with NaN/inf features: drop them with a warning (counted in the card), or stop (default drop)")
    g = p.add_argument_group("denoising autoencoder")
    g.add_argument("--bottleneck", type=_positive, default=64, help="bottleneck width (default 64)")
    g.add_argument("--hidden", type=_positive, default=128, help="width of the layers around the bottleneck (default 128)")
    g.add_argument("--noise", type=_finite_non_negative, default=0.1, help="std of the Gaussian input noise (default 0.1)")
    g.add_argument("--mask", type=_fraction, default=0.0, help="fraction of inputs zeroed in each corrupted row (default 0)")
    g.add_argument("--epochs", type=_positive, default=20, help="passes over the rows, fresh noise each (default 20)")
    h = p.add_argument_group("LightGBM head")
    h.add_argument("--trees", type=_positive, default=200, help="boosting rounds (default 200)")
    h.add_argument("--leaves", type=_positive, default=15, help="num_leaves (default 15)")
    h.add_argument("--learning-rate", type=_finite_positive, default=0.05, help="default 0.05")
    h.add_argument("--min-leaf", type=_positive, default=100, help="min_data_in_leaf (default 100)")
    p.add_argument("--golden-rows", type=_positive, default=32, help="rows in golden.json, 4 of them edge rows (default 32)")
    return p


def log(msg: str) -> None:
    print(f"train.py: {msg}", file=sys.stderr, flush=True)


def train(args: argparse.Namespace) -> dict:
    if args.date_from and args.date_to and args.date_from > args.date_to:
        raise TrainInputError(f"--from {args.date_from} is after --to {args.date_to}")
    if args.out.exists() and not args.out.is_dir():
        raise TrainInputError(f"--out {args.out}: is a file, expected a folder (created when missing)")
    paths = list(args.features)
    window = f"{args.date_from or 'start'}..{args.date_to or 'end'}"
    describe = f"{', '.join(map(str, paths))} (window {window})"

    rows = data.load(paths, args.date_from, args.date_to)
    log(f"{len(rows)} rows, {len(rows.feature_names)} features, {len(rows.symbols)} symbols in {window}")
    if not rows.finite.all():
        if args.on_nonfinite == "error":
            raise TrainInputError(data.describe_nonfinite(rows) + " (--on-nonfinite error)")
        data.warn(data.describe_nonfinite(rows) + "; those rows are dropped")

    dcfg = DaeConfig(hidden=args.hidden, bottleneck=args.bottleneck, noise=args.noise, mask=args.mask, epochs=args.epochs)
    hcfg = HeadConfig(trees=args.trees, leaves=args.leaves, learning_rate=args.learning_rate, min_leaf=args.min_leaf)
    res = pipeline.run(rows, horizon=args.horizon, holdout=args.holdout, refit=args.refit, dcfg=dcfg, hcfg=hcfg,
                       seed=args.seed, describe=describe)
    m = res.metrics
    log(f"IC train {m['ic_train']}, holdout {m['ic_holdout']}; DAE MSE {res.dae_report['reconstruction_mse']:.4f} "
        f"vs baseline {res.dae_report['baseline_mse']:.4f}")

    out: Path = args.out
    out.mkdir(parents=True, exist_ok=True)
    name = args.name or out.resolve().name
    cutoff = artifacts.iso_us(res.ts_known_cutoff_us)
    win = {"from": (args.date_from.isoformat() if args.date_from else res.sessions[0]),
           "to": (args.date_to.isoformat() if args.date_to else res.sessions[-1])}
    model = onnx_export.build_model(
        res.exported.dae.encoder, res.exported.booster, rows.feature_names,
        {"name": name, "ts_known_cutoff": cutoff, "horizon": str(args.horizon),
         "training_window": f"{win['from']}..{win['to']}"},
    )
    model_bytes = model.SerializeToString(deterministic=True)
    (out / "model.onnx").write_bytes(model_bytes)

    # Parity: the native model (numpy encoder + LightGBM) against onnxruntime on the fitted rows and the golden rows.
    sess = onnx_export.session(model_bytes)
    x_fit = pipeline.as_model_input(rows.features[res.fit_rows])
    golden_in = artifacts.golden_inputs(x_fit, args.golden_rows, args.seed)
    parity_x = np.concatenate([x_fit, golden_in.astype(np.float64)])
    diff = float(np.max(np.abs(onnx_export.run(sess, parity_x)[:, 0] - res.exported.predict(parity_x))))
    golden_out = onnx_export.run(sess, golden_in)
    artifacts.write_golden(out / "golden.json", rows.feature_names, golden_in, golden_out)

    dae_card = {
        "hidden": dcfg.hidden, "bottleneck": dcfg.bottleneck, "activation": "relu",
        "layers": [len(rows.feature_names), dcfg.hidden, dcfg.bottleneck, dcfg.hidden, len(rows.feature_names)],
        "noise": dcfg.noise, "mask": dcfg.mask, "epochs": dcfg.epochs, "batch_size": dcfg.batch_size,
        "learning_rate": dcfg.learning_rate, "l2": dcfg.l2, "solver": "adam (sklearn MLPRegressor.partial_fit, one pass per epoch)",
        "final_training_loss": res.exported.dae.final_loss,
        **res.dae_report,
        "holdout": res.dae_holdout_report,
    }
    card = {
        "name": name,
        "format": "alpha-factory.model-card/1",
        "feature_names": rows.feature_names,
        "n_features": len(rows.feature_names),
        "input": {"name": onnx_export.INPUT_NAME, "dtype": "float32", "shape": ["N", len(rows.feature_names)]},
        "output": {"name": onnx_export.OUTPUT_NAME, "dtype": "float32", "shape": ["N", 1]},
        "training_window": win,
        "ts_known_cutoff": cutoff,
        "horizon": args.horizon,
        "label": LABEL,
        "bottleneck": args.bottleneck,
        "seed": args.seed,
        "sessions": {"train": res.train_sessions, "holdout": res.holdout_sessions},
        "fit": {
            "holdout_fraction": args.holdout,
            "exported": "refit on the whole window" if (args.refit or not res.holdout_sessions) else "training sessions only",
            "metrics_from": "fit on the training sessions, scored on them (ic_train) and on the held-out sessions (ic_holdout)"
            if res.holdout_sessions else "the exported model, in sample (no holdout)",
            "nonfinite_rows": args.on_nonfinite,
        },
        "dae": dae_card,
        "head": {"library": "lightgbm", "num_boost_round": hcfg.trees, "params": lightgbm_params(hcfg, args.seed),
                 "trees": res.exported.booster.num_trees()},
        "metrics": {**m, "nonfinite_by_column": rows.nonfinite_by_column,
                    "lightgbm_vs_onnx_max_abs_diff": diff, "parity_rows": int(len(parity_x))},
        "opset": {"ai.onnx": onnx_export.OPSET, "ai.onnx.ml": onnx_export.ML_OPSET},
        "ir_version": model.ir_version,
        "versions": artifacts.versions(),
        "files": {f: artifacts.file_entry(out / f) for f in ("model.onnx", "golden.json")},
        "created_from": [{"file": p.name, **artifacts.file_entry(p)} for p in paths],
    }
    artifacts.write_json(out / "card.json", card)
    log(f"wrote {out}/model.onnx ({len(model_bytes)} bytes), golden.json, card.json; ONNX vs native max |diff| {diff:.3g}")
    return card


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        train(args)
    except TrainInputError as e:
        print(f"train.py: error: {e}", file=sys.stderr)
        return e.exit_code
    return 0


def _leave_on_signal(signum: int, _frame) -> None:
    # scikit-learn's fit catches KeyboardInterrupt and returns a half-trained model, which would then be
    # exported: leave by SystemExit instead (128 + the signal, as a shell reports it).
    raise SystemExit(128 + signum)


def _die_with_parent() -> None:
    """Started by `alpha model train` (ALPHA_PARENT_PID): that process killed outright (SIGKILL, the OOM
    killer) must not leave training running for minutes into a staging folder nobody commits. Linux
    sends SIGTERM when the parent ends (PR_SET_PDEATHSIG); elsewhere nothing is set."""
    parent = os.environ.get("ALPHA_PARENT_PID")
    if not parent or not sys.platform.startswith("linux"):
        return
    ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)  # 1 = PR_SET_PDEATHSIG
    if str(os.getppid()) != parent:  # it ended before the request was made
        raise SystemExit(128 + signal.SIGTERM)


if __name__ == "__main__":
    signal.signal(signal.SIGINT, _leave_on_signal)
    signal.signal(signal.SIGTERM, _leave_on_signal)
    _die_with_parent()
    sys.exit(main())
