"""scripts/lake/lake.py on real tables in a temporary folder: refusals are one `lake: …` line and exit 2;
create gives protocol 1/2 and the append-only table; files lists the latest version's files; read --as-of picks, per key, the latest version
known by T (checked against rows written by hand); time travel; records carry times as whole µs."""

import json
import subprocess
import sys
from pathlib import Path
from urllib.parse import unquote

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

TOOL = Path(__file__).resolve().parents[1] / "lake.py"
COLUMNS = [
    {"name": "ts_event", "type": "timestamp"},
    {"name": "ts_known", "type": "timestamp"},
    {"name": "symbol", "type": "string"},
    {"name": "id", "type": "long"},
    {"name": "version", "type": "integer"},
    {"name": "x", "type": "double"},
    {"name": "date", "type": "date"},
]
T0 = 1_704_205_800_000_000  # 2024-01-02T14:30:00Z in µs


def lake(*args: str) -> tuple[int, dict | None, str]:
    r = subprocess.run([sys.executable, str(TOOL), *args], capture_output=True, text=True, timeout=120)
    return r.returncode, (json.loads(r.stdout) if r.returncode == 0 else None), r.stderr


def ok(*args: str) -> dict:
    code, answer, err = lake(*args)
    assert code == 0, err
    assert answer is not None
    return answer


def rows_file(path: Path, rows: list[tuple[int, int, str, int, int, float]]) -> str:
    ts = pa.timestamp("us", tz="UTC")
    cols = list(zip(*rows))
    table = pa.table(
        {
            "ts_event": pa.array(cols[0], pa.int64()).cast(ts),
            "ts_known": pa.array(cols[1], pa.int64()).cast(ts),
            "symbol": pa.array(cols[2], pa.string()),
            "id": pa.array(cols[3], pa.int64()),
            "version": pa.array(cols[4], pa.int32()),
            "x": pa.array(cols[5], pa.float64()),
        }
    )
    pq.write_table(table, path)
    return str(path)


@pytest.fixture()
def table(tmp_path: Path) -> str:
    t = str(tmp_path / "t")
    answer = ok("create", "--table", t, "--columns", json.dumps(COLUMNS), "--partition", "date", "--name", "t")
    assert answer == {"version": 0, "min_reader_version": 1, "min_writer_version": 2, "reader_features": None, "writer_features": None}
    return t


def test_as_of_picks_the_latest_version_known_by_t(table: str, tmp_path: Path) -> None:
    # id 1: an original and a correction 10 s later; id 2: an original known 5 s after id 1's.
    first = rows_file(tmp_path / "a.parquet", [(T0, T0 + 100, "A", 1, 1, 1.0), (T0 + 5, T0 + 5_000_100, "B", 2, 1, 2.0)])
    second = rows_file(tmp_path / "b.parquet", [(T0, T0 + 10_000_100, "A", 1, 2, 1.5)])
    assert ok("append", "--table", table, "--file", first) == {"version": 1, "rows": 2}
    assert ok("append", "--table", table, "--file", second) == {"version": 2, "rows": 1}

    def as_of(t: int, *extra: str) -> list[tuple[int, int, float]]:
        a = ok("read", "--table", table, "--as-of", str(t), "--key", "id", "--latest", "version,ts_known", "--order", "ts_known", *extra)
        return [(r["id"], r["version"], r["x"]) for r in a["records"]]

    assert as_of(T0 + 99) == []
    assert as_of(T0 + 100) == [(1, 1, 1.0)]  # the bound is ts_known <= T
    assert as_of(T0 + 5_000_100) == [(1, 1, 1.0), (2, 1, 2.0)]
    assert as_of(T0 + 10_000_100) == [(2, 1, 2.0), (1, 2, 1.5)]
    # Time travel: version 1 never saw the correction.
    assert as_of(T0 + 10_000_100, "--version", "1") == [(1, 1, 1.0), (2, 1, 2.0)]

    rows = ok("read", "--table", table, "--order", "ts_known")["records"]
    assert [r["ts_known"] for r in rows] == [T0 + 100, T0 + 5_000_100, T0 + 10_000_100]  # whole µs
    assert {r["date"] for r in rows} == {"2024-01-02"}


def test_read_out_writes_parquet_with_plain_strings(table: str, tmp_path: Path) -> None:
    ok("append", "--table", table, "--file", rows_file(tmp_path / "a.parquet", [(T0, T0 + 1, "A", 1, 1, 1.0)]))
    out = tmp_path / "out.parquet"
    assert ok("read", "--table", table, "--out", str(out)) == {"version": 1, "rows": 1}
    schema = pq.read_schema(out)
    assert schema.field("symbol").type == pa.string()
    assert schema.field("ts_known").type == pa.timestamp("us", tz="UTC")


def test_info_optimize_and_vacuum(table: str, tmp_path: Path) -> None:
    for i in range(3):
        ok("append", "--table", table, "--file", rows_file(tmp_path / f"{i}.parquet", [(T0 + i, T0 + i + 1, "A", i, 1, 0.0)]))
    m = ok("optimize", "--table", table)
    assert m["version"] == 4 and m["metrics"]["numFilesRemoved"] == 3 and m["metrics"]["numFilesAdded"] == 1
    info = ok("info", "--table", table)
    assert info["configuration"] == {"delta.appendOnly": "true"}
    assert info["partition_columns"] == ["date"]
    assert (info["min_reader_version"], info["min_writer_version"]) == (1, 2)
    assert [h["operation"] for h in info["history"]][:2] == ["OPTIMIZE", "WRITE"]
    # The three small files are only in earlier versions: a dry run lists them and deletes nothing.
    dry = ok("vacuum", "--table", table, "--retain-hours", "0", "--dry-run")
    assert len(dry["files"]) == 3 and dry["dry_run"] is True and dry["missing"] == []
    assert ok("read", "--table", table, "--version", "3")["rows"] == 3
    # One of them removed by hand: the vacuum deletes the other two and names the third apart, as missing.
    (Path(table) / unquote(dry["files"][0])).unlink()
    done = ok("vacuum", "--table", table, "--retain-hours", "0")
    assert done["files"] == dry["files"][1:] and done["missing"] == dry["files"][:1] and done["dry_run"] is False
    assert all(not (Path(table) / unquote(f)).exists() for f in dry["files"])
    assert ok("read", "--table", table)["rows"] == 3


def test_files_lists_the_latest_versions_files(table: str, tmp_path: Path) -> None:
    # Two rows of one day, then a row of the next: two files, each with its date, size and rows.
    ok("append", "--table", table, "--file", rows_file(tmp_path / "a.parquet", [(T0, T0 + 1, "A", 1, 1, 0.0), (T0, T0 + 1, "B", 2, 1, 0.0)]))
    ok("append", "--table", table, "--file", rows_file(tmp_path / "b.parquet", [(T0 + 86_400_000_000, T0 + 86_400_000_001, "A", 3, 1, 0.0)]))
    answer = ok("files", "--table", table)
    assert answer["version"] == 2
    files = answer["files"]
    assert sorted((f["date"], f["num_records"]) for f in files) == [("2024-01-02", 2), ("2024-01-03", 1)]
    for f in files:
        assert f["path"].startswith(f"date={f['date']}/")
        assert f["size"] == (Path(table) / f["path"]).stat().st_size


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["bogus"], "invalid choice: 'bogus'"),
        (["read", "--table", "/nonexistent/t"], "not a Delta table"),
        (["create", "--table", "T", "--columns", "{"], "--columns: not JSON"),
        (["create", "--table", "T", "--columns", "[1]"], "expected a JSON list"),
        (["create", "--table", "T", "--columns", '[{"name": "a b", "type": "long"}]'], "is not a column name"),
        (["create", "--table", "T", "--columns", '[{"name": "a", "type": "blob"}]'], "type 'blob'"),
        (["create", "--table", "T", "--columns", '[{"name": "a", "type": "long"}]', "--partition", "date"], "--partition: date is not one of the columns"),
        (["read", "--table", "TABLE", "--version", "7"], "--version 7: the table has versions 0 to 0"),
        (["read", "--table", "TABLE", "--as-of", "1", "--key", "id;drop", "--latest", "version"], '--key: "id;drop" is not a column name'),
        (["read", "--table", "TABLE", "--version", "x"], "invalid int value"),
        (["vacuum", "--table", "TABLE", "--retain-hours", "-1"], "--retain-hours -1: expected 0 or more"),
        (["create", "--table", "TABLE", "--columns", "[]"], "a Delta table exists there already"),
    ],
)
def test_refusals_are_one_line(table: str, tmp_path: Path, args: list[str], says: str) -> None:
    args = [table if a == "TABLE" else str(tmp_path / "new") if a == "T" else a for a in args]
    code, answer, err = lake(*args)
    assert code == 2 and answer is None
    assert err.startswith("lake: ") and says in err, err
    assert len(err.strip().splitlines()) == 1, err


def test_a_create_that_ran_out_of_space_leaves_nothing_and_says_so(tmp_path: Path) -> None:
    """A full disk (here the file size limit, EFBIG) stopped a create before its first commit: the empty
    _delta_log it left made every later create say "a Delta table exists there already", and every
    reader fail. Now nothing is left, the line names the cause, and the next create works; an empty
    _delta_log left by an older version is no table either."""
    t = str(tmp_path / "t")
    cmd = [sys.executable, str(TOOL), "create", "--table", t, "--columns", json.dumps(COLUMNS), "--partition", "date"]
    r = subprocess.run(["bash", "-c", "ulimit -f 1; trap '' XFSZ; exec \"$@\"", "limit", *cmd], capture_output=True, text=True, timeout=120)
    assert r.returncode == 2, r.stderr
    assert r.stderr.startswith(f"lake: table {t}: out of space (") and "free some space (or raise the file size limit), then run it again" in r.stderr, r.stderr
    assert len(r.stderr.strip().splitlines()) == 1, r.stderr
    assert not (tmp_path / "t").exists()
    (tmp_path / "t" / "_delta_log").mkdir(parents=True)
    assert ok("create", "--table", t, "--columns", json.dumps(COLUMNS), "--partition", "date")["version"] == 0


def test_a_damaged_table_is_not_created_over(table: str, tmp_path: Path) -> None:
    """A table whose commits are gone but whose data files stay is not an empty log a failed create
    left: creating over it (and a vacuum after) would delete its data."""
    ok("append", "--table", table, "--file", rows_file(tmp_path / "a.parquet", [(T0, T0, "A", 1, 1, 1.0)]))
    for commit in (Path(table) / "_delta_log").iterdir():
        commit.unlink()
    code, answer, err = lake("create", "--table", table, "--columns", json.dumps(COLUMNS), "--partition", "date")
    assert code == 2 and answer is None
    assert err.startswith(f"lake: {table}: a table folder with files but no commit stands there (a damaged table): move it away"), err
    assert any(p.suffix == ".parquet" for p in Path(table).rglob("*.parquet"))


def lake_module():
    """scripts/lake/lake.py as a module (its functions, without a process)."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("lake_tool", TOOL)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# The names of the Delta protocol (PROTOCOL.md, "Delta Log Entries" and "Checkpoints"): a commit
# `n.json`; a classic checkpoint `n.checkpoint.parquet`; part o of p of a multi-part one
# `n.checkpoint.o.p.parquet` (o and p 10 digits); a UUID-named (v2) one `n.checkpoint.u.{json,parquet}`.
# Metadata cleanup may delete the commits a checkpoint covers, so a checkpoint alone is a table. The
# pointer `_last_checkpoint`, a checksum `n.crc` and a log compaction `x.y.compacted.json` only help
# a reader find or check what commits and checkpoints hold: alone, they are no table.
N = "00000000000000000010"


@pytest.mark.parametrize(
    ("names", "table"),
    [
        ([f"{N}.json"], True),
        ([f"{N}.checkpoint.parquet"], True),
        ([f"{N}.checkpoint.0000000001.0000000002.parquet", f"{N}.checkpoint.0000000002.0000000002.parquet"], True),
        ([f"{N}.checkpoint.80a083e8-7026-4e79-81be-64bd76c43a11.parquet", "_last_checkpoint"], True),
        ([f"{N}.checkpoint.80a083e8-7026-4e79-81be-64bd76c43a11.json"], True),
        (["_last_checkpoint"], False),
        ([f"{N}.crc"], False),
        ([f"{N}.00000000000000000012.compacted.json"], False),
        ([f".{N}.json.tmp", "_commits"], False),
    ],
)
def test_has_commit_counts_every_kind_of_checkpoint(tmp_path: Path, names: list[str], table: bool) -> None:
    log = tmp_path / "_delta_log"
    log.mkdir()
    for name in names:
        (log / name).touch()
    assert lake_module().has_commit(str(log)) is table


def test_a_checkpointed_table_whose_commits_were_cleaned_up_is_not_created_over(table: str, tmp_path: Path) -> None:
    """A table whose log holds a checkpoint (named as a v2 checkpoint writer names it) but no JSON
    commit any more was told "a damaged table", as if nothing had read it as a table."""
    from deltalake import DeltaTable

    ok("append", "--table", table, "--file", rows_file(tmp_path / "a.parquet", [(T0, T0, "A", 1, 1, 1.0)]))
    DeltaTable(table).create_checkpoint()
    log = Path(table) / "_delta_log"
    for commit in log.glob("*.json"):
        commit.unlink()
    classic = log / "00000000000000000001.checkpoint.parquet"
    classic.rename(log / "00000000000000000001.checkpoint.80a083e8-7026-4e79-81be-64bd76c43a11.parquet")
    before = sorted(p.name for p in log.iterdir())
    code, answer, err = lake("create", "--table", table, "--columns", json.dumps(COLUMNS), "--partition", "date")
    assert code == 2 and answer is None
    assert err == f"lake: {table}: a Delta table exists there already\n", err
    assert sorted(p.name for p in log.iterdir()) == before
