"""What delta-rs reads from the lake's tables: the expected side of check_read.py (run by .venv/lake's Python).

    python expected.py TABLE_DIR… [--count-files FILE.parquet…]

Prints one JSON object: for each table its `lake info` (protocol, history, description) and, for every
version from 0 to the latest, its rows as `lake read --version N` gives them (timestamps as whole µs,
dates as YYYY-MM-DD); and the row counts of the given Parquet files from their footers (the data
the project wrote, before any table held it). It calls scripts/lake/lake.py's own read and info, in
one process rather than one per version.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
import lake  # noqa: E402  (scripts/lake/lake.py, on the path above)


def table_versions(path: str) -> dict:
    info = lake.cmd_info(argparse.Namespace(table=path))
    versions = {}
    for v in range(info["version"] + 1):
        read = lake.cmd_read(argparse.Namespace(table=path, version=v, as_of=None, key=None, latest=None, order=None, out=None))
        versions[str(v)] = read["records"]
    return {"info": info, "versions": versions}


def main(argv: list[str]) -> int:
    import pyarrow.parquet as pq

    p = argparse.ArgumentParser(prog="expected")
    p.add_argument("tables", nargs="+")
    p.add_argument("--count-files", nargs="*", default=[])
    a = p.parse_args(argv)
    try:
        answer = {
            "tables": {t: table_versions(t) for t in a.tables},
            "file_rows": {f: pq.read_metadata(f).num_rows for f in a.count_files},
        }
    except lake.Refused as e:
        print(f"expected: {e}", file=sys.stderr)
        return 2
    sys.stdout.write(json.dumps(answer, default=str) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
