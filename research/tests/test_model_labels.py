"""Labels, the date window and ts_known_cutoff of research/model: hand-made prices with known returns,
a symbol missing at the later snapshot, session boundaries, and a run whose data after --to is poison."""

from __future__ import annotations

import datetime as dt
import json
import math
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from model import data, synthetic, train
from model.labels import make_labels

DAY = data.DAY_US
D1 = data.day_number(dt.date(2024, 3, 4)) * DAY
D2 = data.day_number(dt.date(2024, 3, 5)) * DAY
MIN15 = 15 * 60_000_000


def table(rows: list[tuple[int, str, float]], known_lag: int = 7) -> pa.Table:
    """(ts_event µs, symbol, price) rows, features f0 = price, f1 = 0."""
    ts = [r[0] for r in rows]
    return pa.table({
        "ts_event": pa.array(ts, pa.timestamp("us", tz="UTC")),
        "ts_known": pa.array([t + known_lag for t in ts], pa.timestamp("us", tz="UTC")),
        "symbol": pa.array([r[1] for r in rows], pa.string()),
        "price": pa.array([r[2] for r in rows], pa.float64()),
        "f0": pa.array([r[2] for r in rows], pa.float64()),
        "f1": pa.array([0.0] * len(rows), pa.float64()),
    })


@pytest.fixture
def two_days(tmp_path: Path) -> Path:
    rows = []
    prices = {"A": [10, 11, 12, 13], "B": [20, 20, 22, 11], "C": [5, 6, None, 7]}  # C is missing at snapshot 2
    for day0 in (D1, D2):
        for s in range(4):
            for sym, ps in prices.items():
                if ps[s] is not None:
                    rows.append((day0 + s * MIN15, sym, float(ps[s]) * (2 if day0 == D2 else 1)))
    rows.reverse()  # the reader must not rely on file order
    path = tmp_path / "two_days.parquet"
    pq.write_table(table(rows), path)
    return path


def test_labels_are_demeaned_log_returns_within_the_session(two_days: Path) -> None:
    rows = data.load([two_days], None, None)
    lab = make_labels(rows, horizon=1)
    sym = {s: i for i, s in enumerate(rows.symbols)}

    def label(day0: int, snap: int, s: str) -> float:
        i = np.flatnonzero((rows.ts_event == day0 + snap * MIN15) & (rows.symbol == sym[s]))[0]
        return lab.value[i]

    raw_a, raw_b, raw_c = math.log(11 / 10), math.log(20 / 20), math.log(6 / 5)
    mean = (raw_a + raw_b + raw_c) / 3
    assert label(D1, 0, "A") == pytest.approx(raw_a - mean, abs=1e-15)
    assert label(D1, 0, "C") == pytest.approx(raw_c - mean, abs=1e-15)
    # Snapshot 1 → 2: C is missing at 2, so it has no label and is not in the mean.
    assert math.isnan(label(D1, 1, "C"))
    m = (math.log(12 / 11) + math.log(22 / 20)) / 2
    assert label(D1, 1, "A") == pytest.approx(math.log(12 / 11) - m, abs=1e-15)
    # C at 2 does not exist; C at 3 is the last snapshot of the session: no label across the night.
    assert all(math.isnan(label(d, 3, s)) for d in (D1, D2) for s in "ABC")
    # Demeaned: labels sum to 0 at every snapshot.
    has = lab.has
    sums = np.bincount(lab.snapshot[has], weights=lab.value[has])
    assert np.abs(sums).max() < 1e-15
    # Label targets point at the same symbol one snapshot later.
    t = lab.target[has]
    assert (rows.symbol[t] == rows.symbol[has]).all()
    assert (rows.ts_event[t] - rows.ts_event[has] == MIN15).all()


def test_horizon_counts_snapshots_of_the_session(two_days: Path) -> None:
    rows = data.load([two_days], None, None)
    lab = make_labels(rows, horizon=2)
    a = rows.symbols.index("A")
    i = np.flatnonzero((rows.ts_event == D1) & (rows.symbol == a))[0]
    b = np.flatnonzero((rows.ts_event == D1) & (rows.symbol == rows.symbols.index("B")))[0]
    # At snapshot 0 with horizon 2, C (missing at 2) has no label: the mean is over A and B.
    m = (math.log(12 / 10) + math.log(22 / 20)) / 2
    assert lab.value[i] == pytest.approx(math.log(12 / 10) - m, abs=1e-15)
    assert lab.value[b] == pytest.approx(math.log(22 / 20) - m, abs=1e-15)
    assert lab.has.sum() == 2 * (2 + 3)  # per day: A, B at 0 → 2; A, B, C at 1 → 3; none at 2 and 3


def test_timestamps_keep_microseconds(two_days: Path) -> None:
    rows = data.load([two_days], None, None)
    assert rows.ts_known.dtype == np.int64
    assert set(rows.ts_known - rows.ts_event) == {7}


def test_window_is_inclusive_by_utc_date(two_days: Path) -> None:
    rows = data.load([two_days], dt.date(2024, 3, 5), dt.date(2024, 3, 5))
    assert set(rows.day) == {D2 // DAY}
    rows = data.load([two_days], None, dt.date(2024, 3, 4))
    assert set(rows.day) == {D1 // DAY}


def _poisoned(tmp_path: Path, days_in: int, days_after: int) -> tuple[Path, Path, dt.date]:
    """A file of `days_in` sessions, and the same plus `days_after` more with NaN features and absurd prices."""
    full = synthetic.make_table(days=days_in + days_after, symbols=12, features=6, seed=3)
    ts = full.column("ts_event").cast(pa.int64()).to_numpy()
    last_day = np.unique(ts // DAY)[days_in - 1]
    inside = ts // DAY <= last_day
    clean = full.filter(pa.array(inside))
    cols = {n: full.column(n).to_numpy() for n in full.column_names if n not in ("ts_event", "ts_known", "symbol")}
    poisoned = {n: np.where(inside, v, np.nan if n != "price" else 1e9) for n, v in cols.items()}
    dirty = full
    for n, v in poisoned.items():
        dirty = dirty.set_column(dirty.column_names.index(n), n, pa.array(v, pa.float64()))
    a, b = tmp_path / "clean.parquet", tmp_path / "with_later_days.parquet"
    pq.write_table(clean, a)
    pq.write_table(dirty, b)
    return a, b, data.date_of_day(int(last_day))


def test_nothing_after_to_is_used(tmp_path: Path, fast_train_args: list[str]) -> None:
    clean, dirty, last = _poisoned(tmp_path, days_in=5, days_after=2)
    common = [*fast_train_args, "--name", "m", "--holdout", "0.2"]
    assert train.main(["--features", str(clean), "--out", str(tmp_path / "a"), *common]) == 0
    assert train.main(["--features", str(dirty), "--out", str(tmp_path / "b"), "--to", last.isoformat(), *common]) == 0
    for f in ("model.onnx", "golden.json"):
        assert (tmp_path / "a" / f).read_bytes() == (tmp_path / "b" / f).read_bytes(), f
    ca, cb = (json.loads((tmp_path / d / "card.json").read_text()) for d in "ab")
    assert cb["metrics"]["rows_dropped_nonfinite"] == 0
    assert cb["training_window"] == {"from": ca["training_window"]["from"], "to": last.isoformat()}
    # The last snapshot of the last session is 14:30 + 26 × 15 min = 21:00, known 250123 µs later.
    assert cb["ts_known_cutoff"] == f"{last.isoformat()}T21:00:00.250123Z" == ca["ts_known_cutoff"]


def test_cutoff_of_a_train_only_export_ends_with_the_training_sessions(tmp_path: Path, fast_train_args: list[str]) -> None:
    path = synthetic.write(tmp_path / "f.parquet", synthetic.make_table(days=5, symbols=12, features=6, seed=3))
    assert train.main(["--features", str(path), "--out", str(tmp_path / "m"), "--no-refit", "--holdout", "0.4", *fast_train_args]) == 0
    card = json.loads((tmp_path / "m" / "card.json").read_text())
    assert card["fit"]["exported"] == "training sessions only"
    assert card["sessions"] == {"train": ["2024-01-02", "2024-01-03", "2024-01-04"], "holdout": ["2024-01-05", "2024-01-08"]}
    assert card["ts_known_cutoff"] == "2024-01-04T21:00:00.250123Z"
    assert card["training_window"] == {"from": "2024-01-02", "to": "2024-01-08"}
