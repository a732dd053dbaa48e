"""Do the lake's Delta tables read in Spark? A check with a real Spark (issue 15, docs/lake.md).

    .venv/spark/bin/python scripts/lake/spark/check_read.py [--keep DIR] [--json FILE]
    (npm run check:spark: scripts/lake/spark/setup.sh, then this)

1. Writes a lake in a temporary folder with the project's own commands (bin/alpha.mjs): `data generate
   --lake` twice (delta-rs creates `quotes` and `trades`, DuckDB appends), `data ingest` of a CSV of
   trades (a trade and its correction, into a partition that has a file already) and of a CSV of daily
   bars (a third table, schema Bar), then `data optimize` of `quotes` and `trades` (delta-rs Z-order).
2. Asks delta-rs (.venv/lake, expected.py beside this file: scripts/lake/lake.py's read and info) for
   every version of every table, and the Parquet footers for the rows the generator wrote.
3. Reads each table with Spark (pyspark and delta-spark, .venv/spark; Delta's jars from disk), in local
   mode bound to 127.0.0.1 with the UI off, and checks, table by table:
   - every version N (`versionAsOf`) and the latest (no option): the same rows as delta-rs's version N,
     as a multiset (count, then the rows sorted), timestamps compared as whole µs;
   - each version's row count against what the project wrote up to that commit (the generator's files,
     the CSV lines), so time travel is seen to give earlier versions that differ from the latest;
   - the protocol Spark reports (DESCRIBE DETAIL): reader 1, writer 2, no table features, as delta-rs
     reports and docs/lake.md promises; the partition column `date`; the history's versions;
   - the column types Spark sees against the table's Avro schema (schemas/*.avsc, named in the table's
     description) mapped as docs/lake.md's table says (timestamp-micros → timestamp, not timestamp_ntz);
   - that the Spark JVM listens on 127.0.0.1 only.
Exits 1 with one line per mismatch (`check:spark: …`), else prints a summary (and --json writes it).
Expected values come from delta-rs and from what the project wrote, never from Spark.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[2]
SPARK_VENV = Path(os.environ.get("SPARK_VENV", ROOT / ".venv" / "spark"))
LAKE_PYTHON = Path(os.environ.get("LAKE_VENV", ROOT / ".venv" / "lake")) / "bin" / "python"

# A trade and its correction (same id, version 2, learnt five minutes later), on a day the generator
# wrote, so the partition date=2024-01-03 gets a second file and OPTIMIZE has files to merge.
TRADES_CSV = """ts_event,ts_known,symbol,price,size,aggressor,id,version
2024-01-03T15:00:00Z,2024-01-03T15:00:00.000250Z,SYM001,78.5,300,BUY,900000001,1
2024-01-03T15:00:00Z,2024-01-03T15:05:00Z,SYM001,78.55,300,BUY,900000001,2
"""
# Daily closes (a date alone: known at 16:00 New York), for a table of another schema (Bar).
BARS_CSV = """date,symbol,open,high,low,close,volume
2024-01-02,AAA,10.0,10.5,9.75,10.25,12000
2024-01-02,BBB,20.0,20.0,19.5,19.625,8000
2024-01-03,AAA,10.25,11.0,10.125,10.875,15000
"""

# docs/lake.md, "Tables": Avro → Delta type, as Spark names it (DataType.simpleString()).
AVRO_TO_SPARK = {"timestamp-micros": "timestamp", "long": "bigint", "int": "int", "double": "double", "string": "string", "enum": "string"}


class Mismatch(Exception):
    """What the check found different; one line each."""


def fail(message: str) -> None:
    print(f"check:spark: {message}", file=sys.stderr)


def one_line(e: BaseException) -> str:
    """An exception as one line; for a Java exception through py4j, the Java exception's own message."""
    java = getattr(e, "java_exception", None)
    text = str(java.toString()) if java is not None else f"{type(e).__name__}: {e}"
    return (text.strip().splitlines() or [type(e).__name__])[0]


def run(cmd: list[str], what: str, **kw) -> str:
    r = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT, **kw)
    if r.returncode != 0:
        tail = (r.stderr.strip() or r.stdout.strip()).splitlines()[-1:] or ["(no output)"]
        raise Mismatch(f"{what} failed (exit {r.returncode}): {tail[0]}")
    return r.stdout


def alpha(*args: str) -> str:
    return run(["node", "bin/alpha.mjs", *args], f"alpha {' '.join(args[:3])}")


def build_lake(work: Path) -> None:
    """The lake, written by the project's commands (the row counts each version must have are
    expected_counts's, from the files and lines written)."""
    lake, g1, g2 = work / "lake", work / "gen1", work / "gen2"
    (work / "trades.csv").write_text(TRADES_CSV)
    (work / "bars.csv").write_text(BARS_CSV)
    alpha("data", "generate", "--out", str(g1), "--symbols", "4", "--days", "2", "--start", "2024-01-02", "--seed", "1", "--lake", str(lake))
    alpha("data", "generate", "--out", str(g2), "--symbols", "4", "--days", "1", "--start", "2024-01-04", "--seed", "2", "--lake", str(lake))
    ingest = ["--lake", str(lake), "--rejects", str(work / "rejects.txt")]
    alpha("data", "ingest", str(work / "trades.csv"), "--dataset", "trades", "--format", "trades", *ingest)
    alpha("data", "ingest", str(work / "bars.csv"), "--dataset", "bars", "--format", "ohlcv", "--tz", "America/New_York", *ingest)
    alpha("data", "optimize", "quotes", "--lake", str(lake))
    alpha("data", "optimize", "trades", "--lake", str(lake))
    if (work / "rejects.txt").read_text().strip():
        raise Mismatch(f"the ingest refused rows: {(work / 'rejects.txt').read_text().strip()}")


def expected_counts(work: Path, file_rows: dict[str, int]) -> dict[str, list[int]]:
    def rows(gen: str, name: str) -> int:
        return sum(n for f, n in file_rows.items() if Path(f).parent == work / gen / name)

    def csv_lines(text: str) -> int:
        return len(text.strip().splitlines()) - 1  # a header, then one row a line

    q1, q2 = rows("gen1", "quotes"), rows("gen2", "quotes")
    t1, t2 = rows("gen1", "trades"), rows("gen2", "trades")
    if min(q1, q2, t1, t2) == 0:
        raise Mismatch(f"the generator wrote an empty file set (quotes {q1}, {q2}; trades {t1}, {t2}): nothing to check")
    return {
        # create, append, append, OPTIMIZE (no data change)
        "quotes": [0, q1, q1 + q2, q1 + q2],
        # create, append, append, ingest, OPTIMIZE
        "trades": [0, t1, t1 + t2, t1 + t2 + csv_lines(TRADES_CSV), t1 + t2 + csv_lines(TRADES_CSV)],
        # create, ingest
        "bars": [0, csv_lines(BARS_CSV)],
    }


def delta_rs(work: Path, tables: list[str]) -> dict:
    lake = work / "lake"
    files = [str(p) for g in ("gen1", "gen2") for name in ("quotes", "trades") for p in sorted((work / g / name).glob("*.parquet"))]
    out = run([str(LAKE_PYTHON), str(HERE / "expected.py"), *[str(lake / t) for t in tables], "--count-files", *files], "delta-rs (expected.py)")
    answer = json.loads(out)
    answer["tables"] = {Path(k).name: v for k, v in answer["tables"].items()}
    return answer


def spark_session(work: Path):
    java_home = (SPARK_VENV / "java-home").read_text().strip()
    os.environ["JAVA_HOME"] = java_home
    os.environ["SPARK_LOCAL_IP"] = "127.0.0.1"
    os.environ["PYSPARK_PYTHON"] = sys.executable
    for var in ("SPARK_HOME", "SPARK_CONF_DIR", "PYSPARK_SUBMIT_ARGS", "PYSPARK_DRIVER_PYTHON"):
        os.environ.pop(var, None)
    from pyspark.sql import SparkSession

    jars = sorted(str(p) for p in (SPARK_VENV / "delta-jars").glob("*.jar"))
    if len(jars) != 2:
        raise Mismatch(f"{SPARK_VENV / 'delta-jars'}: expected delta-spark and delta-storage jars, found {len(jars)}: run npm run check:spark")
    log4j = HERE / "log4j2.properties"
    builder = (
        SparkSession.builder.master("local[1]")
        .appName("alpha-lake-spark-check")
        .config("spark.jars", ",".join(jars))
        .config("spark.sql.extensions", "io.delta.sql.DeltaSparkSessionExtension")
        .config("spark.sql.catalog.spark_catalog", "org.apache.spark.sql.delta.catalog.DeltaCatalog")
        .config("spark.driver.host", "127.0.0.1")
        .config("spark.driver.bindAddress", "127.0.0.1")
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.sql.warehouse.dir", str(work / "spark-warehouse"))
        .config("spark.local.dir", str(work / "spark-local"))
        .config("spark.sql.shuffle.partitions", "2")
        # Delta rebuilds a snapshot's state in 50 partitions by default: 50 tasks a read for a log of a few commits.
        .config("spark.databricks.delta.snapshotPartitions", "1")
        # A short run on 2 shared cores: the client JIT only and the serial collector halve the JVM's CPU
        # time here (measured: 52 s → 26 s); neither changes what is read.
        .config("spark.driver.extraJavaOptions", f"-Dlog4j2.configurationFile=file:{log4j} -Duser.timezone=UTC -XX:TieredStopAtLevel=1 -XX:+UseSerialGC")
    )
    return builder.getOrCreate()


def loopback_only(spark) -> list[str]:
    """The TCP sockets the Spark JVM listens on, each on 127.0.0.1 (or ::ffff:127.0.0.1); the others, named."""
    pid = spark.sparkContext._jvm.java.lang.ProcessHandle.current().pid()
    inodes = set()
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        try:
            target = os.readlink(fd)
        except OSError:
            continue
        if target.startswith("socket:["):
            inodes.add(target[8:-1])
    listening, others = [], []
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            f = line.split()
            if f[3] != "0A" or f[9] not in inodes:  # 0A: LISTEN
                continue
            addr, port = f[1].split(":")
            listening.append(f"{addr}:{int(port, 16)}")
            loopback = addr == "0100007F" or addr == "0000000000000000FFFF00000100007F"
            if not loopback:
                others.append(f"{addr}:{int(port, 16)}")
    if not listening:
        others.append("(no listening socket found for the JVM, pid %d: the check cannot tell)" % pid)
    return others


def jvm_cpu_seconds(spark) -> float:
    """CPU time (user + system) the Spark JVM has used so far: a figure less sensitive than wall time to
    what else the machine runs."""
    pid = spark.sparkContext._jvm.java.lang.ProcessHandle.current().pid()
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def spark_rows(df) -> tuple[list[str], list[tuple]]:
    """Rows as tuples, timestamps as whole µs since the epoch and dates as YYYY-MM-DD, like delta-rs's records."""
    from pyspark.sql import functions as F
    from pyspark.sql.types import DateType, TimestampType

    cols = []
    for f in df.schema.fields:
        if isinstance(f.dataType, TimestampType):
            cols.append(F.unix_micros(F.col(f.name)).alias(f.name))
        elif isinstance(f.dataType, DateType):
            cols.append(F.date_format(F.col(f.name), "yyyy-MM-dd").alias(f.name))
        else:
            cols.append(F.col(f.name))
    names = [f.name for f in df.schema.fields]
    return names, [tuple(r) for r in df.select(*cols).collect()]


def compare_rows(where: str, names: list[str], got: list[tuple], want_records: list[dict]) -> None:
    want_names = list(want_records[0].keys()) if want_records else None
    if want_names is not None and sorted(want_names) != sorted(names):
        raise Mismatch(f"{where}: Spark's columns {names} are not delta-rs's {want_names}")
    want = [tuple(r[n] for n in names) for r in want_records]
    if len(got) != len(want):
        raise Mismatch(f"{where}: Spark read {len(got)} rows, delta-rs {len(want)}")
    if Counter(got) != Counter(want):
        missing = Counter(want) - Counter(got)
        extra = Counter(got) - Counter(want)
        first_missing = next(iter(missing), None)
        first_extra = next(iter(extra), None)
        raise Mismatch(
            f"{where}: {sum(missing.values())} row(s) of delta-rs not in Spark's, e.g. {dict(zip(names, first_missing or ()))}; "
            f"{sum(extra.values())} of Spark's not in delta-rs's, e.g. {dict(zip(names, first_extra or ()))}"
        )


def avro_types(schema_name: str) -> dict[str, str]:
    avsc = json.loads((ROOT / "schemas" / f"{schema_name}.avsc").read_text())
    types = {}
    for field in avsc["fields"]:
        t = field["type"]
        kind = t.get("logicalType") or t["type"] if isinstance(t, dict) else t
        if kind not in AVRO_TO_SPARK:
            raise Mismatch(f"schemas/{schema_name}.avsc: field {field['name']}: type {t!r} has no lake column type in this check")
        types[field["name"]] = AVRO_TO_SPARK[kind]
    types["date"] = "date"
    return types


def check_table(spark, name: str, path: str, rs: dict, counts: list[int], problems: list[str]) -> dict:
    from delta.tables import DeltaTable

    info = rs["info"]
    latest = info["version"]
    summary: dict = {"table": name, "latest_version": latest, "rows_by_version": []}

    def check(cond: bool, message: str) -> None:
        if not cond:
            problems.append(f"{name}: {message}")

    detail = DeltaTable.forPath(spark, path).detail().collect()[0].asDict()
    spark_protocol = (detail["minReaderVersion"], detail["minWriterVersion"])
    features = sorted(detail.get("tableFeatures") or [])
    summary.update(spark_protocol={"minReaderVersion": spark_protocol[0], "minWriterVersion": spark_protocol[1], "tableFeatures": features})
    check(spark_protocol == (info["min_reader_version"], info["min_writer_version"]), f"Spark reports protocol {spark_protocol}, delta-rs {(info['min_reader_version'], info['min_writer_version'])}")
    check(spark_protocol == (1, 2), f"protocol {spark_protocol}: docs/lake.md promises reader 1, writer 2")
    # Delta's PROTOCOL.md: writer version 2 (no explicit features) is appendOnly and invariants; Spark lists
    # the features a legacy protocol implies, delta-rs the explicit ones only (none below reader 3 / writer 7).
    check(features == ["appendOnly", "invariants"], f"Spark lists the table features {features}: writer version 2 implies appendOnly and invariants only")
    check(info["reader_features"] is None and info["writer_features"] is None, f"delta-rs lists explicit table features {info['reader_features']}, {info['writer_features']}: expected none")
    check(list(detail["partitionColumns"]) == ["date"] == info["partition_columns"], f"partition columns {detail['partitionColumns']} (delta-rs {info['partition_columns']})")
    check(detail["properties"].get("delta.appendOnly") == "true", f"properties {detail['properties']}: expected delta.appendOnly=true")

    history = sorted(r["version"] for r in DeltaTable.forPath(spark, path).history().select("version").collect())
    check(history == sorted(h["version"] for h in info["history"]) == list(range(latest + 1)), f"Spark's history has versions {history}, delta-rs's {sorted(h['version'] for h in info['history'])}")
    check(latest == len(counts) - 1, f"the table is at version {latest}; the check wrote {len(counts) - 1} commits after its creation")

    description = info["description"] or ""
    schema_name = description.removeprefix("alpha.schema=")
    df_latest = spark.read.format("delta").load(path)
    seen = {f.name: f.dataType.simpleString() for f in df_latest.schema.fields}
    want_types = avro_types(schema_name)
    check(seen == want_types, f"Spark sees the columns {seen}; {schema_name}.avsc through docs/lake.md's types gives {want_types}")
    summary["schema"] = schema_name

    for v in range(latest + 1):
        df = spark.read.format("delta").option("versionAsOf", v).load(path)
        names, got = spark_rows(df)
        try:
            compare_rows(f"version {v}", names, got, rs["versions"][str(v)])
        except Mismatch as e:
            problems.append(f"{name}: {e}")
        if v < len(counts):
            check(len(got) == counts[v], f"version {v}: {len(got)} rows; the project wrote {counts[v]} by that commit")
        summary["rows_by_version"].append(len(got))
    names, got = spark_rows(df_latest)
    try:
        compare_rows("latest (no versionAsOf)", names, got, rs["versions"][str(latest)])
    except Mismatch as e:
        problems.append(f"{name}: {e}")
    return summary


def main(argv: list[str]) -> int:
    p = argparse.ArgumentParser(prog="check_read", description="Read the lake's Delta tables with Spark and compare with delta-rs.")
    p.add_argument("--keep", help="write the lake into this new folder and keep it (default: a temporary folder, removed)")
    p.add_argument("--json", help="also write the summary as JSON to this file")
    a = p.parse_args(argv)
    if a.keep and os.path.exists(a.keep):
        fail(f"--keep {a.keep}: exists already; give a new folder")
        return 1
    work = Path(a.keep) if a.keep else Path(tempfile.mkdtemp(prefix="alpha-spark-check-"))
    work.mkdir(parents=True, exist_ok=True)
    t0 = time.monotonic()
    problems: list[str] = []
    spark = None
    try:
        if not LAKE_PYTHON.exists():
            raise Mismatch(f"{LAKE_PYTHON} is missing: run npm run setup:lake")
        build_lake(work)
        t_lake = time.monotonic()
        tables = ["quotes", "trades", "bars"]
        rs = delta_rs(work, tables)
        counts = expected_counts(work, rs["file_rows"])
        t_rs = time.monotonic()
        try:
            spark = spark_session(work)
        except Exception as e:  # noqa: BLE001 - no Java, a broken venv: one line, not a trace
            raise Mismatch(f"Spark did not start: {one_line(e)} (run npm run check:spark, which installs it)") from None
        t_spark = time.monotonic()
        problems += [f"the Spark JVM listens off loopback: {s}" for s in loopback_only(spark)]
        import pyspark
        from importlib.metadata import version as dist_version

        summaries = []
        for t in tables:
            try:
                summaries.append(check_table(spark, t, str(work / "lake" / t), rs["tables"][t], counts[t], problems))
            except Exception as e:  # noqa: BLE001 - Spark failing to read a table is the finding: one line, the next table
                problems.append(f"{t}: Spark failed: {one_line(e)}")
        java = spark.sparkContext._jvm.java.lang.System.getProperty("java.version")
        jvm_cpu = jvm_cpu_seconds(spark)
        spark_version = spark.version
        t_end = time.monotonic()
    except Mismatch as e:
        fail(str(e))
        return 1
    finally:
        if spark is not None:
            spark.stop()
        if not a.keep:
            shutil.rmtree(work, ignore_errors=True)
    report = {
        "date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "pyspark": pyspark.__version__,
        "spark": spark_version,
        "delta_spark": dist_version("delta-spark"),
        "java": java,
        "tables": summaries,
        "seconds": {
            "write_lake": round(t_lake - t0, 1),
            "delta_rs_reads": round(t_rs - t_lake, 1),
            "spark_start": round(t_spark - t_rs, 1),
            "spark_reads_and_compare": round(t_end - t_spark, 1),
            "total": round(time.monotonic() - t0, 1),
            "spark_jvm_cpu": round(jvm_cpu, 1),
        },
        "load_average_1min": os.getloadavg()[0],
        "problems": problems,
    }
    if a.json:
        Path(a.json).write_text(json.dumps(report, indent=2) + "\n")
    for problem in problems:
        fail(problem)
    if problems:
        return 1
    for s in summaries:
        proto = s["spark_protocol"]
        print(
            f"{s['table']} ({s['schema']}): versions 0-{s['latest_version']}, rows {s['rows_by_version']}, "
            f"protocol reader {proto['minReaderVersion']} / writer {proto['minWriterVersion']} "
            f"(features {', '.join(proto['tableFeatures'])}, implied by writer 2): Spark = delta-rs"
        )
    sec = report["seconds"]
    print(
        f"check:spark: OK — Spark {report['spark']} with delta-spark {report['delta_spark']} on Java {java} reads every version of "
        f"{len(summaries)} tables as delta-rs does ({sec['total']} s: lake {sec['write_lake']} s, delta-rs {sec['delta_rs_reads']} s, "
        f"Spark start {sec['spark_start']} s, Spark reads {sec['spark_reads_and_compare']} s; Spark's JVM used {sec['spark_jvm_cpu']} s of CPU; load average {report['load_average_1min']:.1f})"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
