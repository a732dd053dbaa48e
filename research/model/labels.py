"""Labels: the log return of `price` from a snapshot to the snapshot `horizon` later in the same session
(UTC date) for the same symbol, demeaned across the symbols that have one at that snapshot.

Snapshots are the distinct ts_event values of the window; "horizon later" counts snapshots of the
session, so a symbol missing at the later snapshot (or a non-positive price) has no label."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .data import DAY_US, Rows


@dataclass
class Labels:
    value: np.ndarray  # float64 [n], NaN where there is no label
    target: np.ndarray  # int64 [n]: row index of the price the label ends at, -1 where none
    snapshot: np.ndarray  # int64 [n]: index into `snapshot_ts`
    snapshot_ts: np.ndarray  # int64 µs, sorted distinct ts_event

    @property
    def has(self) -> np.ndarray:
        return ~np.isnan(self.value)


def make_labels(rows: Rows, horizon: int) -> Labels:
    if horizon < 1:
        raise ValueError("horizon must be >= 1")
    snapshot_ts, snapshot = np.unique(rows.ts_event, return_inverse=True)
    n_sym = max(len(rows.symbols), 1)
    # Rows are sorted by (ts_event, symbol), so these keys are strictly increasing.
    key = snapshot.astype(np.int64) * n_sym + rows.symbol
    later = snapshot + horizon
    same_session = later < len(snapshot_ts)
    same_session[same_session] = (snapshot_ts[later[same_session]] // DAY_US) == (rows.ts_event[same_session] // DAY_US)
    want = later.astype(np.int64) * n_sym + rows.symbol
    pos = np.searchsorted(key, want)
    pos_ok = same_session & (pos < len(key))
    pos_ok[pos_ok] = key[pos[pos_ok]] == want[pos_ok]
    target = np.where(pos_ok, pos, -1)

    good_price = np.isfinite(rows.price) & (rows.price > 0)
    has = pos_ok & good_price
    has[has] = good_price[target[has]]
    raw = np.full(len(rows), np.nan)
    raw[has] = np.log(rows.price[target[has]] / rows.price[has])
    target[~has] = -1

    sums = np.bincount(snapshot[has], weights=raw[has], minlength=len(snapshot_ts)).astype(np.float64)
    counts = np.bincount(snapshot[has], minlength=len(snapshot_ts))
    mean = np.divide(sums, counts, out=np.zeros_like(sums), where=counts > 0)
    value = raw - mean[snapshot]
    return Labels(value=value, target=target, snapshot=snapshot.astype(np.int64), snapshot_ts=snapshot_ts)
