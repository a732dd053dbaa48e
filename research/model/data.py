"""Reads the graph's feature Parquet files (one row per snapshot and symbol) into numpy arrays, keeping
only the rows whose ts_event falls in the training window, and checks the layout on the way in.

Layout: ts_event, ts_known (timestamp, UTC, read as int64 µs), symbol (string), price (double, not a
feature), then one double column per feature, in feature order."""

from __future__ import annotations

import datetime as dt
import sys
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from .errors import TrainInputError

DAY_US = 86_400_000_000
EPOCH = dt.date(1970, 1, 1)
KEY_COLUMNS = ("ts_event", "ts_known", "symbol", "price")


def day_number(date: dt.date) -> int:
    return (date - EPOCH).days


def date_of_day(day: int) -> dt.date:
    return EPOCH + dt.timedelta(days=int(day))


@dataclass
class Rows:
    """All rows of the window, sorted by (ts_event, symbol). `finite` marks the rows whose features are
    all finite: only those are trained on; the others still give prices for labels."""

    ts_event: np.ndarray  # int64 µs since the epoch, UTC
    ts_known: np.ndarray  # int64 µs
    symbol: np.ndarray  # int64 code into `symbols`
    symbols: list[str]
    price: np.ndarray  # float64
    features: np.ndarray  # float64 [n, k]
    feature_names: list[str]
    finite: np.ndarray  # bool [n]
    source: np.ndarray  # int index into `paths`: the file each row came from
    paths: list[Path]
    nonfinite_by_column: dict[str, int] = field(default_factory=dict)

    @property
    def day(self) -> np.ndarray:
        return self.ts_event // DAY_US

    def __len__(self) -> int:
        return len(self.ts_event)


def _timestamps_us(path: Path, table: pa.Table, name: str) -> np.ndarray:
    col = table.column(name)
    if not pa.types.is_timestamp(col.type):
        raise TrainInputError(f"{path}: column {name!r} has type {col.type}, expected timestamp[us, tz=UTC]")
    if col.null_count:
        raise TrainInputError(f"{path}: column {name!r} has {col.null_count} null values")
    try:
        col = pc.cast(col, pa.timestamp("us", tz=col.type.tz), safe=True)
    except pa.ArrowInvalid as e:
        raise TrainInputError(f"{path}: column {name!r} does not fit in microseconds: {e}") from e
    return pc.cast(col, pa.int64()).to_numpy().astype(np.int64, copy=False)


def _read_one(path: Path, lo_day: int | None, hi_day: int | None) -> tuple[dict, list[str]]:
    if not path.is_file():
        raise TrainInputError(f"{path}: no such file")
    try:
        table = pq.read_table(path)
    except (pa.ArrowException, OSError) as e:
        raise TrainInputError(f"{path}: not a readable Parquet file: {e}") from e
    names = table.column_names
    missing = [c for c in KEY_COLUMNS if c not in names]
    if missing:
        raise TrainInputError(f"{path}: missing column(s) {', '.join(missing)}; the file has {names[:8]}{'…' if len(names) > 8 else ''}")
    feature_names = [c for c in names if c not in KEY_COLUMNS]
    if not feature_names:
        raise TrainInputError(f"{path}: no feature columns besides {', '.join(KEY_COLUMNS)}")
    for name in feature_names + ["price"]:
        t = table.schema.field(name).type
        if t != pa.float64():
            raise TrainInputError(f"{path}: column {name!r} has type {t}, expected double")
    sym_type = table.schema.field("symbol").type
    if pa.types.is_dictionary(sym_type):
        sym_type = sym_type.value_type
    if not (pa.types.is_string(sym_type) or pa.types.is_large_string(sym_type)):
        raise TrainInputError(f"{path}: column 'symbol' has type {table.schema.field('symbol').type}, expected string")

    ts_event = _timestamps_us(path, table, "ts_event")
    day = ts_event // DAY_US
    keep = np.ones(len(day), dtype=bool)
    if lo_day is not None:
        keep &= day >= lo_day
    if hi_day is not None:
        keep &= day <= hi_day
    # Everything after this point sees only the window.
    table = table.filter(pa.array(keep))
    ts_event = ts_event[keep]
    symbol = table.column("symbol")
    if symbol.null_count:
        raise TrainInputError(f"{path}: column 'symbol' has {symbol.null_count} null values")
    cols = {
        "ts_event": ts_event,
        "ts_known": _timestamps_us(path, table, "ts_known"),
        "symbol": np.asarray(pc.cast(symbol, pa.string()).to_pylist(), dtype=object),
        "price": table.column("price").to_numpy(zero_copy_only=False).astype(np.float64),
        "features": np.column_stack(
            [table.column(n).to_numpy(zero_copy_only=False).astype(np.float64) for n in feature_names]
        ) if table.num_rows else np.zeros((0, len(feature_names))),
    }
    return cols, feature_names


def load(paths: list[Path], date_from: dt.date | None, date_to: dt.date | None) -> Rows:
    """Reads `paths` (same feature columns, same order, in each) and keeps rows with
    date_from <= UTC date of ts_event <= date_to (each bound optional)."""
    lo = day_number(date_from) if date_from else None
    hi = day_number(date_to) if date_to else None
    parts, feature_names, first = [], None, None
    for path in paths:
        cols, names = _read_one(path, lo, hi)
        if feature_names is None:
            feature_names, first = names, path
        elif names != feature_names:
            diff = next((i for i, (a, b) in enumerate(zip(names, feature_names)) if a != b), min(len(names), len(feature_names)))
            raise TrainInputError(
                f"{path}: feature columns differ from {first} at position {diff} "
                f"({names[diff] if diff < len(names) else 'end'!r} vs {feature_names[diff] if diff < len(feature_names) else 'end'!r})"
            )
        parts.append((path, cols))
    assert feature_names is not None
    n = sum(len(c["ts_event"]) for _, c in parts)
    window = f"{date_from or 'start'}..{date_to or 'end'}"
    if n == 0:
        raise TrainInputError(f"{', '.join(map(str, paths))}: no rows with ts_event in the window {window}")

    cat = lambda key: np.concatenate([c[key] for _, c in parts])  # noqa: E731
    ts_event, ts_known, price, features = cat("ts_event"), cat("ts_known"), cat("price"), cat("features")
    symbols, symbol = np.unique(cat("symbol"), return_inverse=True)
    origin = np.concatenate([np.full(len(c["ts_event"]), i) for i, (_, c) in enumerate(parts)])
    order = np.lexsort((symbol, ts_event))
    ts_event, ts_known, symbol, price, features, origin = (
        a[order] for a in (ts_event, ts_known, symbol, price, features, origin)
    )
    dup = np.flatnonzero((np.diff(ts_event) == 0) & (np.diff(symbol) == 0))
    if len(dup):
        i = dup[0]
        when = dt.datetime.fromtimestamp(ts_event[i] / 1e6, dt.timezone.utc).isoformat()
        raise TrainInputError(
            f"{paths[origin[i + 1]]}: duplicate row for symbol {symbols[symbol[i]]!r} at ts_event {when} "
            f"(also in {paths[origin[i]]}); {len(dup)} duplicate(s) in all"
        )

    bad = ~np.isfinite(features)
    finite = ~bad.any(axis=1)
    nonfinite = {}
    if not finite.all():
        counts = bad.sum(axis=0)
        nonfinite = {feature_names[j]: int(counts[j]) for j in np.flatnonzero(counts)}
    return Rows(
        ts_event=ts_event, ts_known=ts_known, symbol=symbol.astype(np.int64), symbols=[str(s) for s in symbols],
        price=price, features=features, feature_names=list(feature_names), finite=finite,
        source=origin, paths=list(paths), nonfinite_by_column=nonfinite,
    )


def describe_nonfinite(rows: Rows) -> str:
    """Names each file with NaN/inf features, its row count and its worst columns."""
    bad_rows = ~rows.finite
    out = []
    for f in np.unique(rows.source[bad_rows]):
        sel = bad_rows & (rows.source == f)
        counts = (~np.isfinite(rows.features[sel])).sum(axis=0)
        cols = [(int(counts[j]), rows.feature_names[j]) for j in np.flatnonzero(counts)]
        cols.sort(key=lambda c: (-c[0], c[1]))
        first = rows.features[sel][0][np.flatnonzero(~np.isfinite(rows.features[sel][0]))[0]]
        shown = ", ".join(f"{name} ({n})" for n, name in cols[:5])
        more = f" and {len(cols) - 5} more" if len(cols) > 5 else ""
        out.append(f"{rows.paths[f]}: {int(sel.sum())} row(s) with NaN/inf features (first value seen: {first}) "
                   f"in column(s) {shown}{more}")
    return "; ".join(out)


def warn(message: str) -> None:
    print(f"train.py: warning: {message}", file=sys.stderr)
