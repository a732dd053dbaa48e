"""Fits the model on a window of rows: the holdout evaluation (DAE and head fitted on the earlier
sessions, IC measured on the last ones), then, by default, the same fit again on the whole window,
which is the model that gets exported. Knows nothing about files or ONNX."""

from __future__ import annotations

from dataclasses import dataclass

import lightgbm as lgb
import numpy as np

from .dae import Dae, DaeConfig, fit_dae
from .data import Rows, date_of_day
from .errors import TrainInputError
from .head import HeadConfig, fit_head
from .labels import Labels, make_labels
from .metrics import information_coefficient


@dataclass(frozen=True)
class Fitted:
    dae: Dae
    booster: lgb.Booster

    def predict(self, x: np.ndarray) -> np.ndarray:
        """The native reference: numpy encoder, then LightGBM."""
        return self.booster.predict(self.dae.encoder.encode(x), num_threads=1)


@dataclass
class Result:
    exported: Fitted
    labels: Labels
    fit_rows: np.ndarray  # bool [n]: rows whose features the exported model was fitted on
    ts_known_cutoff_us: int
    metrics: dict
    dae_report: dict
    dae_holdout_report: dict | None
    sessions: list[str]
    train_sessions: list[str]
    holdout_sessions: list[str]


def as_model_input(features: np.ndarray) -> np.ndarray:
    """What the ONNX graph sees: the float64 features rounded to float32. Training uses the same values."""
    return features.astype(np.float32).astype(np.float64)


def _fit(x: np.ndarray, rows_mask: np.ndarray, labelled: np.ndarray, y: np.ndarray,
         dcfg: DaeConfig, hcfg: HeadConfig, seed: int) -> Fitted:
    dae = fit_dae(x[rows_mask], dcfg, seed)
    booster = fit_head(dae.encoder.encode(x[labelled]), y[labelled], hcfg, seed)
    return Fitted(dae=dae, booster=booster)


def run(rows: Rows, *, horizon: int, holdout: float, refit: bool, dcfg: DaeConfig, hcfg: HeadConfig,
        seed: int, describe: str) -> Result:
    """`describe` names the input in error messages (the files and the window)."""
    labels = make_labels(rows, horizon)
    x = as_model_input(rows.features)
    usable = rows.finite
    labelled = usable & labels.has
    day = rows.day
    days = np.unique(day[usable])
    if len(days) == 0:
        raise TrainInputError(f"{describe}: no row with finite features in the window")
    if not labelled.any():
        raise TrainInputError(
            f"{describe}: no row has a label: no symbol appears at a snapshot and again {horizon} snapshot(s) "
            f"later in the same session (UTC date); lower --horizon or widen the window")

    n_hold = 0
    if holdout > 0:
        n_hold = max(1, int(round(holdout * len(days))))
        if len(days) - n_hold < 1:
            raise TrainInputError(
                f"{describe}: {len(days)} session(s) in the window, too few snapshots for a holdout of "
                f"{holdout:g} (needs at least 2 sessions: one to train on, one to hold out); widen the window or pass --holdout 0")
    train_days, hold_days = days[: len(days) - n_hold], days[len(days) - n_hold:]
    in_train = np.isin(day, train_days)
    in_hold = np.isin(day, hold_days)

    metrics: dict = {}
    dae_holdout_report = None
    phase1 = None
    if n_hold:
        for what, mask in (("train", in_train), ("holdout", in_hold)):
            snaps = np.unique(labels.snapshot[labelled & mask])
            counts = np.bincount(labels.snapshot[labelled & mask], minlength=len(labels.snapshot_ts))
            if not (counts >= 3).any():
                raise TrainInputError(
                    f"{describe}: too few snapshots for a holdout: the {what} sessions "
                    f"({date_of_day((train_days if what == 'train' else hold_days)[0])}..{date_of_day((train_days if what == 'train' else hold_days)[-1])}) "
                    f"have {len(snaps)} labelled snapshot(s), none with 3 or more symbols; widen the window or change --holdout")
        phase1 = _fit(x, usable & in_train, labelled & in_train, labels.value, dcfg, hcfg, seed)
        for what, mask in (("train", labelled & in_train), ("holdout", labelled & in_hold)):
            ic = information_coefficient(phase1.predict(x[mask]), labels.value[mask], labels.snapshot[mask])
            metrics[f"ic_{what}"] = ic["spearman"]
            metrics[f"ic_{what}_pearson"] = ic["pearson"]
            metrics[f"snapshots_{what}"] = ic["snapshots"]
            metrics[f"rows_{what}"] = ic["rows"]
        dae_holdout_report = phase1.dae.report(x[usable & in_hold])
        if metrics["ic_train"] is None or metrics["ic_holdout"] is None:
            raise TrainInputError(
                f"{describe}: the model fitted on the training sessions ({date_of_day(train_days[0])}..{date_of_day(train_days[-1])}) "
                f"ranks the symbols of no {'training' if metrics['ic_train'] is None else 'held-out'} snapshot (its scores or the labels "
                f"do not vary across 3 or more symbols in any), so the holdout measures nothing; widen the window to more sessions and symbols")

    if phase1 is not None and not refit:
        exported, fit_rows, head_rows = phase1, usable & in_train, labelled & in_train
    else:
        exported = _fit(x, usable, labelled, labels.value, dcfg, hcfg, seed)
        fit_rows, head_rows = usable, labelled
    # A model that ranks no snapshot's symbols has learnt nothing to trade on: LightGBM makes one leaf
    # when the labels do not vary (one symbol a snapshot, demeaned to 0) or the data are too few to
    # split on, and a model may vary only across snapshots. It needs a snapshot of 3 or more symbols
    # where both its scores and the labels vary (the IC is defined there).
    fitted_ic = information_coefficient(exported.predict(x[head_rows]), labels.value[head_rows], labels.snapshot[head_rows])
    if fitted_ic["spearman"] is None:
        raise TrainInputError(
            f"{describe}: the trained model ranks the symbols of no snapshot ({int(head_rows.sum())} labelled rows, "
            f"{len(np.unique(labels.snapshot[head_rows]))} snapshot(s), {len(days)} session(s)): in none do both its scores and "
            f"the labels vary across 3 or more symbols; widen the window to more sessions and symbols")
    if not n_hold:
        # Without a holdout the exported model was fitted on every labelled row: its IC there is the one above.
        ic = fitted_ic
        metrics.update(ic_train=ic["spearman"], ic_train_pearson=ic["pearson"], snapshots_train=ic["snapshots"],
                       rows_train=ic["rows"], ic_holdout=None, ic_holdout_pearson=None, snapshots_holdout=0, rows_holdout=0)

    used = fit_rows.copy()
    used[labels.target[head_rows]] = True  # the prices the labels end at
    cutoff = int(rows.ts_known[used].max())
    metrics.update(
        rows=int(len(rows)),
        rows_fit=int(fit_rows.sum()),
        rows_labelled=int(head_rows.sum()),
        rows_dropped_nonfinite=int((~rows.finite).sum()),
        snapshots=int(len(np.unique(labels.snapshot[fit_rows]))),
        sessions=int(len(days)),
    )
    iso = lambda ds: [date_of_day(d).isoformat() for d in ds]  # noqa: E731
    return Result(
        exported=exported, labels=labels, fit_rows=fit_rows, ts_known_cutoff_us=cutoff, metrics=metrics,
        dae_report=exported.dae.report(x[fit_rows]), dae_holdout_report=dae_holdout_report,
        sessions=iso(days), train_sessions=iso(train_days), holdout_sessions=iso(hold_days),
    )
