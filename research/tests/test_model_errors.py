"""Bad input to research/model/train.py: exit code 2 and a message naming the file and the column or
value; rows with NaN/inf features are dropped with a warning (or refused with --on-nonfinite error)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from model import synthetic, train

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def good(tmp_path: Path) -> pa.Table:
    return synthetic.make_table(days=4, symbols=10, features=5, seed=9)


def write(tmp_path: Path, t: pa.Table, name: str = "f.parquet") -> Path:
    return synthetic.write(tmp_path / name, t)


def fails(capsys: pytest.CaptureFixture, tmp_path: Path, argv: list[str], *needles: str) -> str:
    code = train.main([*argv, "--out", str(tmp_path / "out"), "--hidden", "8", "--bottleneck", "4", "--epochs", "1",
                       "--trees", "5", "--min-leaf", "5"])
    err = capsys.readouterr().err
    assert code == 2, err
    for n in needles:
        assert n in err, err
    return err


def test_missing_file(capsys, tmp_path: Path) -> None:
    fails(capsys, tmp_path, ["--features", str(tmp_path / "nope.parquet")], "nope.parquet: no such file")


def test_not_parquet(capsys, tmp_path: Path) -> None:
    (tmp_path / "x.parquet").write_text("hello")
    fails(capsys, tmp_path, ["--features", str(tmp_path / "x.parquet")], "x.parquet: not a readable Parquet file")


@pytest.mark.parametrize("column", ["ts_event", "ts_known", "symbol", "price"])
def test_missing_key_column(capsys, tmp_path: Path, good: pa.Table, column: str) -> None:
    p = write(tmp_path, good.drop_columns([column]))
    fails(capsys, tmp_path, ["--features", str(p)], f"{p}: missing column(s) {column}")


def test_float32_feature_column(capsys, tmp_path: Path, good: pa.Table) -> None:
    i = good.column_names.index("vol_30")
    p = write(tmp_path, good.set_column(i, "vol_30", good.column("vol_30").cast(pa.float32())))
    fails(capsys, tmp_path, ["--features", str(p)], f"{p}: column 'vol_30' has type float, expected double")


def test_string_timestamp(capsys, tmp_path: Path, good: pa.Table) -> None:
    p = write(tmp_path, good.set_column(0, "ts_event", good.column("ts_event").cast(pa.string())))
    fails(capsys, tmp_path, ["--features", str(p)], f"{p}: column 'ts_event' has type string, expected timestamp")


def test_no_rows_in_window(capsys, tmp_path: Path, good: pa.Table) -> None:
    p = write(tmp_path, good)
    fails(capsys, tmp_path, ["--features", str(p), "--from", "2023-01-01", "--to", "2023-12-31"],
          str(p), "no rows with ts_event in the window 2023-01-01..2023-12-31")


def test_from_after_to(capsys, tmp_path: Path, good: pa.Table) -> None:
    p = write(tmp_path, good)
    fails(capsys, tmp_path, ["--features", str(p), "--from", "2024-02-01", "--to", "2024-01-01"], "--from 2024-02-01 is after --to 2024-01-01")


def test_too_few_sessions_for_a_holdout(capsys, tmp_path: Path, good: pa.Table) -> None:
    p = write(tmp_path, good)
    fails(capsys, tmp_path, ["--features", str(p), "--to", "2024-01-02"], str(p), "1 session(s) in the window",
          "too few snapshots for a holdout", "--holdout 0")


def test_holdout_without_enough_symbols(capsys, tmp_path: Path) -> None:
    t = synthetic.make_table(days=3, symbols=2, features=3, seed=1)
    p = write(tmp_path, t)
    fails(capsys, tmp_path, ["--features", str(p)], "too few snapshots for a holdout", "none with 3 or more symbols")


def test_no_labels(capsys, tmp_path: Path) -> None:
    p = write(tmp_path, synthetic.make_table(days=3, symbols=5, features=3, snapshots=1, seed=1))
    fails(capsys, tmp_path, ["--features", str(p)], str(p), "no row has a label")


def test_feature_columns_differ_between_files(capsys, tmp_path: Path, good: pa.Table) -> None:
    a = write(tmp_path, good, "a.parquet")
    b = write(tmp_path, good.rename_columns([("x" if n == "vol_30" else n) for n in good.column_names]), "b.parquet")
    fails(capsys, tmp_path, ["--features", str(a), "--features", str(b)], f"{b}: feature columns differ from {a} at position 2 ('x' vs 'vol_30')")


def test_duplicate_rows_across_files(capsys, tmp_path: Path, good: pa.Table) -> None:
    a = write(tmp_path, good, "a.parquet")
    b = write(tmp_path, good.slice(5, 1), "b.parquet")
    fails(capsys, tmp_path, ["--features", str(a), "--features", str(b)], "duplicate row for symbol 'S005'", "b.parquet", "a.parquet")


def _with_nan(good: pa.Table) -> pa.Table:
    v = good.column("spread_bps").to_numpy().copy()
    v[[3, 50, 51]] = [np.nan, np.inf, -np.inf]
    return good.set_column(good.column_names.index("spread_bps"), "spread_bps", pa.array(v))


def test_nonfinite_features_refused_on_request(capsys, tmp_path: Path, good: pa.Table) -> None:
    p = write(tmp_path, _with_nan(good))
    fails(capsys, tmp_path, ["--features", str(p), "--on-nonfinite", "error"],
          f"{p}: 3 row(s) with NaN/inf features (first value seen: nan) in column(s) spread_bps (3)")


def test_nonfinite_features_dropped_with_a_warning(capsys, tmp_path: Path, good: pa.Table, fast_train_args) -> None:
    p = write(tmp_path, _with_nan(good))
    assert train.main(["--features", str(p), "--out", str(tmp_path / "m"), *fast_train_args]) == 0
    err = capsys.readouterr().err
    assert "warning" in err and "3 row(s) with NaN/inf features" in err and "dropped" in err
    m = json.loads((tmp_path / "m" / "card.json").read_text())["metrics"]
    assert m["rows_dropped_nonfinite"] == 3 and m["nonfinite_by_column"] == {"spread_bps": 3}
    assert m["rows_fit"] == m["rows"] - 3


def test_exit_code_and_usage_from_the_shell(tmp_path: Path) -> None:
    script = str(ROOT / "research/model/train.py")
    r = subprocess.run([sys.executable, script, "--features", str(tmp_path / "none.parquet"), "--out", str(tmp_path / "o")],
                       capture_output=True, text=True)
    assert r.returncode == 2 and r.stderr.strip() == f"train.py: error: {tmp_path / 'none.parquet'}: no such file"
    r = subprocess.run([sys.executable, script, "--out", str(tmp_path / "o")], capture_output=True, text=True)
    assert r.returncode == 2 and "--features" in r.stderr
    r = subprocess.run([sys.executable, script, "--features", "x", "--out", "o", "--holdout", "1.5"], capture_output=True, text=True)
    assert r.returncode == 2 and "1.5 is not in [0, 1)" in r.stderr


def test_one_symbol_gives_nothing_to_rank(capsys, tmp_path: Path) -> None:
    # Labels are returns demeaned per snapshot: with one symbol they are all 0, and LightGBM makes one leaf.
    p = write(tmp_path, synthetic.make_table(days=4, symbols=1, features=5, seed=9))
    fails(capsys, tmp_path, ["--features", str(p), "--holdout", "0"], f"{p}", "the trained model ranks the symbols of no snapshot")
    assert not (tmp_path / "out" / "model.onnx").exists()


def test_prices_that_never_move_give_nothing_to_rank(capsys, tmp_path: Path, good: pa.Table) -> None:
    i = good.column_names.index("price")
    p = write(tmp_path, good.set_column(i, "price", pa.array(np.full(len(good), 50.0))))
    fails(capsys, tmp_path, ["--features", str(p)], "ranks the symbols of no training snapshot", "so the holdout measures nothing")
    fails(capsys, tmp_path, ["--features", str(p), "--holdout", "0"], "the trained model ranks the symbols of no snapshot")


@pytest.mark.parametrize("flag,value", [("--seed", "-1"), ("--seed", "99999999999"), ("--learning-rate", "-1"),
                                        ("--learning-rate", "nan"), ("--noise", "nan"), ("--horizon", str(10**21))])
def test_flag_values_out_of_range_are_usage_errors(capsys, tmp_path: Path, good: pa.Table, flag: str, value: str) -> None:
    p = write(tmp_path, good)
    with pytest.raises(SystemExit) as e:
        train.main(["--features", str(p), "--out", str(tmp_path / "out"), flag, value])
    assert e.value.code == 2
    err = capsys.readouterr().err
    assert f"argument {flag}" in err and "Traceback" not in err, err
    assert not (tmp_path / "out").exists()


def test_out_that_is_a_file(capsys, tmp_path: Path, good: pa.Table) -> None:
    p = write(tmp_path, good)
    (tmp_path / "a-file").write_text("x")
    code = train.main(["--features", str(p), "--out", str(tmp_path / "a-file")])
    assert code == 2
    assert f"--out {tmp_path / 'a-file'}: is a file, expected a folder" in capsys.readouterr().err
    assert (tmp_path / "a-file").read_text() == "x"
