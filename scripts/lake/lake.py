"""The `lake` tool: what the Delta Lake warm tier needs that DuckDB's delta extension cannot do.

DuckDB (the runtime path, lib/io/lake/) reads Delta tables with time travel and appends to them, but
cannot create a table nor Z-order one. This tool, on delta-rs (the `deltalake` package), creates
tables, Z-orders and vacuums them, and reads and appends for the cross-checks of the tests. It runs
in its own venv (.venv/lake, made by scripts/lake/setup.sh); `alpha data lake …` calls it.

    python lake.py create   --table DIR --columns JSON [--partition date] [--name N] [--description D]
    python lake.py append   --table DIR --file FILE.parquet
    python lake.py read     --table DIR [--out FILE.parquet] [--version N] [--as-of MICROS --key a,b --latest c,d] [--order a,b]
    python lake.py optimize --table DIR [--zorder symbol,ts_event]
    python lake.py vacuum   --table DIR [--retain-hours H] [--dry-run]
    python lake.py info     --table DIR
    python lake.py files    --table DIR   (the data files of the latest version: path, size, date, rows)

Each command prints one JSON object on stdout. A refusal or failure prints `lake: <what>` on stderr
and exits 2; nothing else is printed. Reads go through deltalake's QueryBuilder (DataFusion SQL)
rather than DeltaTable.to_pyarrow_table() (see docs/lake.md).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import sys
from urllib.parse import unquote

TYPES = {
    "timestamp": "timestamp",
    "string": "string",
    "long": "int64",
    "integer": "int32",
    "double": "float64",
    "date": "date32",
}
IDENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


class Refused(Exception):
    """A refusal with a message for the user."""


def idents(value: str, flag: str) -> list[str]:
    names = [v for v in value.split(",") if v != ""]
    for n in names:
        if not IDENT.match(n):
            raise Refused(f'{flag}: "{n}" is not a column name (letters, digits and "_")')
    if not names:
        raise Refused(f"{flag}: expected at least one column name")
    return names


def quoted(names: list[str]) -> str:
    return ", ".join(f'"{n}"' for n in names)


def arrow_schema(columns: list[dict]):
    import pyarrow as pa

    fields = []
    for c in columns:
        name, kind = c.get("name"), c.get("type")
        if not isinstance(name, str) or not IDENT.match(name):
            raise Refused(f"--columns: {name!r} is not a column name")
        if kind not in TYPES:
            raise Refused(f"--columns: column {name}: type {kind!r}: expected one of {', '.join(TYPES)}")
        t = pa.timestamp("us", tz="UTC") if kind == "timestamp" else getattr(pa, TYPES[kind])()
        fields.append(pa.field(name, t, nullable=False))
    return pa.schema(fields)


def open_table(path: str, version: int | None = None):
    from deltalake import DeltaTable
    from deltalake.exceptions import TableNotFoundError

    try:
        dt = DeltaTable(path)
    except TableNotFoundError:
        raise Refused(f"{path}: not a Delta table (no _delta_log)") from None
    if version is not None:
        latest = dt.version()
        if version < 0 or version > latest:
            raise Refused(f"--version {version}: the table has versions 0 to {latest}")
        dt.load_as_version(version)
    return dt


def plain_types(table):
    """QueryBuilder gives string_view columns; Parquet readers expect plain strings."""
    import pyarrow as pa

    fields = [pa.field(f.name, pa.string(), f.nullable) if pa.types.is_string_view(f.type) else f for f in table.schema]
    return table.cast(pa.schema(fields))


def write_parquet(table, out: str) -> None:
    import pyarrow.parquet as pq

    tmp = f"{out}.{os.getpid()}.tmp"
    try:
        pq.write_table(table, tmp, coerce_timestamps="us")
        os.replace(tmp, out)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)


def cmd_create(a) -> dict:
    from deltalake import DeltaTable

    try:
        columns = json.loads(a.columns)
    except json.JSONDecodeError as e:
        raise Refused(f"--columns: not JSON ({e})") from None
    if not isinstance(columns, list) or not all(isinstance(c, dict) for c in columns):
        raise Refused('--columns: expected a JSON list of {"name", "type"} objects')
    schema = arrow_schema(columns)
    partition = idents(a.partition, "--partition") if a.partition else []
    for p in partition:
        if p not in schema.names:
            raise Refused(f"--partition: {p} is not one of the columns")
    log = os.path.join(a.table, "_delta_log")
    if os.path.isdir(log):
        if has_commit(log):
            raise Refused(f"{a.table}: a Delta table exists there already")
        if any(name != "_delta_log" for name in os.listdir(a.table)) or os.listdir(log):
            # Files beside a log without commits are a damaged table's, not a failed create's: kept.
            raise Refused(
                f"{a.table}: a table folder with files but no commit stands there (a damaged table): "
                "move it away to create one"
            )
        # A create that failed before its first commit (a full disk) left an empty log: no table.
        shutil.rmtree(log)
    made = not os.path.exists(a.table)
    try:
        dt = DeltaTable.create(
            a.table,
            schema=schema,
            partition_by=partition or None,
            name=a.name,
            description=a.description,
            # Append-only: a remove of data (a DELETE, an overwrite) is refused; OPTIMIZE's rewrites are not data changes.
            configuration={"delta.appendOnly": "true"},
        )
    except BaseException:
        # Nothing of a create that failed is left to block the next one.
        if os.path.isdir(log) and not has_commit(log):
            shutil.rmtree(log, ignore_errors=True)
        if made and os.path.isdir(a.table) and not os.listdir(a.table):
            os.rmdir(a.table)
        raise
    return {"version": dt.version(), **protocol(dt)}


# What makes a table, by the Delta protocol's names (PROTOCOL.md, "Delta Log Entries", "Checkpoints"):
# a commit `n.json`, or a checkpoint, whose commits metadata cleanup may have deleted: classic
# `n.checkpoint.parquet`, a part of a multi-part one `n.checkpoint.o.p.parquet`, a UUID-named (v2) one
# `n.checkpoint.u.json|parquet`. `_last_checkpoint`, `n.crc` and `x.y.compacted.json` only point at
# or sum up those, so alone they make no table.
COMMIT = re.compile(r"^\d{20}\.(json|checkpoint(\.\d+\.\d+)?\.parquet|checkpoint\.[0-9A-Fa-f-]+\.(json|parquet))$")


def has_commit(log: str) -> bool:
    """Whether a _delta_log holds a commit or a checkpoint (a table), not only what a failed create left."""
    return any(COMMIT.match(name) for name in os.listdir(log))


def cmd_append(a) -> dict:
    import pyarrow.compute as pc
    import pyarrow.parquet as pq
    from deltalake import write_deltalake

    dt = open_table(a.table)
    table = pq.read_table(a.file)
    names = [f.name for f in dt.schema().fields]
    if "date" in names and "date" not in table.column_names:
        table = table.append_column("date", pc.cast(table["ts_known"], "date32"))
    missing = [n for n in names if n not in table.column_names]
    if missing:
        raise Refused(f"{a.file}: missing column(s) {', '.join(missing)} of the table")
    table = table.select(names).cast(arrow_schema_of(dt))
    write_deltalake(dt, table, mode="append")
    dt = open_table(a.table)
    return {"version": dt.version(), "rows": table.num_rows}


def arrow_schema_of(dt):
    import pyarrow as pa

    return pa.schema(dt.schema().to_arrow())


def cmd_read(a) -> dict:
    import pyarrow as pa
    from deltalake import QueryBuilder

    dt = open_table(a.table, a.version)
    if a.as_of is not None:
        key, latest = idents(a.key or "", "--key"), idents(a.latest or "", "--latest")
        rank = ", ".join(f'"{c}" DESC' for c in latest)
        # Knowledge time: what had been learnt by T, then the latest version of each record.
        sql = (
            f"SELECT * EXCLUDE (__rank) FROM (SELECT *, row_number() OVER (PARTITION BY {quoted(key)} ORDER BY {rank}) AS __rank "
            f"FROM t WHERE arrow_cast(ts_known, 'Int64') <= {int(a.as_of)}) WHERE __rank = 1"
        )
    else:
        sql = "SELECT * FROM t"
    if a.order:
        sql += f" ORDER BY {quoted(idents(a.order, '--order'))}"
    table = plain_types(pa.table(QueryBuilder().register("t", dt).execute(sql).read_all()))
    if a.out:
        write_parquet(table, a.out)
        return {"version": dt.version(), "rows": table.num_rows}
    return {"version": dt.version(), "rows": table.num_rows, "records": records(table)}


def records(table) -> list[dict]:
    """Rows as JSON-ready objects: timestamps as whole µs since the epoch, dates as YYYY-MM-DD."""
    import pyarrow as pa

    cols = [table[n].cast(pa.int64()) if pa.types.is_timestamp(table.schema.field(n).type) else table[n] for n in table.column_names]
    return pa.table(cols, names=table.column_names).to_pylist()


def cmd_optimize(a) -> dict:
    dt = open_table(a.table)
    metrics = dt.optimize.z_order(idents(a.zorder, "--zorder"))
    return {"version": open_table(a.table).version(), "metrics": metrics}


def cmd_vacuum(a) -> dict:
    dt = open_table(a.table)
    if a.retain_hours is not None and a.retain_hours < 0:
        raise Refused(f"--retain-hours {a.retain_hours}: expected 0 or more")
    def vacuum(dry_run: bool) -> list[str]:
        return dt.vacuum(
            retention_hours=a.retain_hours,
            dry_run=dry_run,
            enforce_retention_duration=False,
            # Every file no version needs, including those no commit ever named (an append killed before
            # its commit), not only those since the last checkpoint.
            full=True,
        )

    # delta-rs lists the files it was to delete, found or not: count as deleted only those that were
    # there, and name the others apart (a log that names files someone removed by hand).
    root = os.path.realpath(a.table)

    def relative(f: str) -> str:
        # The dry run names files from the table's root, the real pass by their whole path.
        f = f[len("file://"):] if f.startswith("file://") else f
        return os.path.relpath(os.path.realpath(f), root) if os.path.isabs(f) else f

    candidates = [relative(f) for f in vacuum(True)]
    missing = {f for f in candidates if not os.path.lexists(os.path.join(root, unquote(f)))}
    # The real pass reports what it removed (a file may have passed the retention since the dry run).
    removed = set(candidates) if a.dry_run or not candidates else {relative(f) for f in vacuum(False)}
    return {
        "version": open_table(a.table).version(),
        "dry_run": a.dry_run,
        "files": sorted(removed - missing),
        "missing": sorted(missing),
    }


def protocol(dt) -> dict:
    p = dt.protocol()
    return {
        "min_reader_version": p.min_reader_version,
        "min_writer_version": p.min_writer_version,
        "reader_features": p.reader_features,
        "writer_features": p.writer_features,
    }


def cmd_info(a) -> dict:
    dt = open_table(a.table)
    m = dt.metadata()
    return {
        "version": dt.version(),
        **protocol(dt),
        "name": m.name,
        "description": m.description,
        "partition_columns": m.partition_columns,
        "configuration": m.configuration,
        "files": len(dt.file_uris()),
        "history": [{"version": h.get("version"), "operation": h.get("operation")} for h in dt.history()],
    }


def cmd_files(a) -> dict:
    import pyarrow as pa

    dt = open_table(a.table)
    rows = pa.table(dt.get_add_actions(flatten=True)).to_pylist()
    files = [
        {
            "path": r["path"],
            "size": r["size_bytes"],
            "modification_time": r["modification_time"],
            "num_records": r.get("num_records"),
            "date": str(r.get("partition.date")),
        }
        for r in rows
    ]
    return {"version": dt.version(), "files": sorted(files, key=lambda f: f["path"])}


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="lake", description="Delta Lake tables of the warm tier (delta-rs).")
    sub = p.add_subparsers(dest="command", required=True)
    for name in ("create", "append", "read", "optimize", "vacuum", "info", "files"):
        s = sub.add_parser(name)
        s.add_argument("--table", required=True)
    c = sub.choices
    c["create"].add_argument("--columns", required=True)
    c["create"].add_argument("--partition", default="")
    c["create"].add_argument("--name")
    c["create"].add_argument("--description")
    c["append"].add_argument("--file", required=True)
    c["read"].add_argument("--out", help="write a Parquet file (default: the rows in the JSON answer)")
    c["read"].add_argument("--version", type=int)
    c["read"].add_argument("--as-of", type=int)
    c["read"].add_argument("--key")
    c["read"].add_argument("--latest")
    c["read"].add_argument("--order")
    c["optimize"].add_argument("--zorder", default="symbol,ts_event")
    c["vacuum"].add_argument("--retain-hours", type=int)
    c["vacuum"].add_argument("--dry-run", action="store_true")
    return p


def out_of_space(e: BaseException) -> bool:
    """Whether an error, or one it was raised from, is the disk full or the file size limit (ENOSPC, EDQUOT, EFBIG)."""
    seen: BaseException | None = e
    while seen is not None:
        if getattr(seen, "errno", None) in (28, 122, 27):
            return True
        text = str(seen)
        if "No space left on device" in text or "os error 28" in text or "File too large" in text or "os error 27" in text:
            return True
        seen = seen.__cause__ or seen.__context__
    return False


def main(argv: list[str]) -> int:
    p = parser()
    p.error = lambda message: (_ for _ in ()).throw(Refused(message))  # type: ignore[method-assign]
    for s in p._subparsers._group_actions[0].choices.values():  # type: ignore[union-attr]
        s.error = p.error  # type: ignore[method-assign]
    try:
        a = p.parse_args(argv)
        result = globals()[f"cmd_{a.command}"](a)
    except Refused as e:
        print(f"lake: {e}", file=sys.stderr)
        return 2
    except Exception as e:  # noqa: BLE001 - delta-rs and pyarrow errors become one line for the CLI
        # Named with the table it was reading and what would be accepted: delta-rs's own words say
        # neither (a log entry it cannot parse reads "Invalid JSON in file stats ...").
        table = getattr(locals().get("a"), "table", None)
        where = f"table {table}: " if table else ""
        first = f"{type(e).__name__}: {e}".splitlines()[0]
        if out_of_space(e):
            # The machine, not the table: saying "a damaged _delta_log?" sent users to the wrong place.
            print(f"lake: {where}out of space ({first}): free some space (or raise the file size limit), then run it again", file=sys.stderr)
        else:
            print(f"lake: {where}{first}: expected a Delta table written by alpha (a damaged _delta_log?)", file=sys.stderr)
        return 2
    sys.stdout.write(json.dumps(result, default=str) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
