"""Synthetic feature files in the graph's layout, for tests, benchmarks and trying the pipeline without
the TypeScript side. Features are a few latent factors seen through noise (so an autoencoder can
compress them); the next snapshot's return loads on the first factor (so there is something to learn).

    python research/model/synthetic.py --out /tmp/features.parquet [--days 10 --symbols 40 --features 24]"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

DAY_US = 86_400_000_000
SESSION_OPEN_US = (14 * 60 + 30) * 60_000_000  # 14:30 UTC
STEP_US = 15 * 60_000_000
KNOWN_LAG_US = 250_123  # ts_known - ts_event: sub-millisecond, so precision loss would show


def feature_names(k: int) -> list[str]:
    base = ["ret_5", "ret_5_mkt", "vol_30", "spread_bps"]
    return [base[i] if i < len(base) else f"f_{i:03d}" for i in range(k)]


def make_table(*, start: dt.date = dt.date(2024, 1, 2), days: int = 10, symbols: int = 40, features: int = 24,
               snapshots: int = 27, latent: int = 4, signal: float = 0.002, missing: float = 0.0,
               seed: int = 1) -> pa.Table:
    """One row per (snapshot, symbol), in ts_known order. `missing` drops that fraction of rows at random."""
    rng = np.random.default_rng(seed)
    load = rng.standard_normal((latent, features)) / np.sqrt(latent)
    syms = np.array([f"S{i:03d}" for i in range(symbols)], dtype=object)
    logp = np.log(rng.uniform(20, 200, symbols))
    out = {k: [] for k in ("ts_event", "sym", "price", "x")}
    d, made = start, 0
    while made < days:
        if d.weekday() < 5:
            day0 = (d - dt.date(1970, 1, 1)).days * DAY_US
            for s in range(snapshots):
                a = rng.standard_normal((symbols, latent))
                x = a @ load * 0.9 + 0.45 * rng.standard_normal((symbols, features))
                out["ts_event"].append(np.full(symbols, day0 + SESSION_OPEN_US + s * STEP_US, dtype=np.int64))
                out["sym"].append(syms)
                out["price"].append(np.exp(logp))
                out["x"].append(x)
                logp = logp + signal * a[:, 0] + 0.001 * rng.standard_normal() + 0.003 * rng.standard_normal(symbols)
            made += 1
        d += dt.timedelta(days=1)
    ts = np.concatenate(out["ts_event"])
    x = np.concatenate(out["x"])
    keep = rng.random(len(ts)) >= missing
    cols = {
        "ts_event": pa.array(ts[keep], pa.timestamp("us", tz="UTC")),
        "ts_known": pa.array(ts[keep] + KNOWN_LAG_US, pa.timestamp("us", tz="UTC")),
        "symbol": pa.array(np.concatenate(out["sym"])[keep], pa.string()),
        "price": pa.array(np.concatenate(out["price"])[keep], pa.float64()),
    }
    for j, name in enumerate(feature_names(features)):
        cols[name] = pa.array(x[keep, j], pa.float64())
    return pa.table(cols)


def write(path: Path, table: pa.Table) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(table, path)
    return path


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="synthetic.py", description="Writes a synthetic feature Parquet file.")
    p.add_argument("--out", type=Path, required=True)
    p.add_argument("--start", type=dt.date.fromisoformat, default=dt.date(2024, 1, 2))
    p.add_argument("--days", type=int, default=10)
    p.add_argument("--symbols", type=int, default=40)
    p.add_argument("--features", type=int, default=24)
    p.add_argument("--seed", type=int, default=1)
    a = p.parse_args(argv)
    t = make_table(start=a.start, days=a.days, symbols=a.symbols, features=a.features, seed=a.seed)
    write(a.out, t)
    print(f"{a.out}: {t.num_rows} rows, {a.features} features", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
