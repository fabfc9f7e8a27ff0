"""Queries per request, stock vs ours (`--parts queries`): runs bench/bench_queries.py inside Label
Studio's test set-up under each settings module on one database and prints the table. A figure,
not a test: tests/label_studio/app/test_app.py holds ours at one query per authentication."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Dict

from common import HERE, PY, WORK, Checks, clean_env, oneline, run, say

BENCH = HERE / "bench" / "bench_queries.py"


def query_bench(checks: Checks, site: Path, db: str, db_env: Dict[str, str]) -> None:
    from suite import OURS, STOCK

    table: Dict[str, Dict[str, str]] = {}
    for label, settings in (("stock", STOCK), ("ours", OURS)):
        data = Path(tempfile.mkdtemp(prefix=f"ls-queries-{label}-", dir=WORK))
        env = clean_env(LABEL_STUDIO_BASE_DATA_DIR=str(data), **db_env)
        env.setdefault("DJANGO_DB", "sqlite")
        rc, out, err = run([PY, "-m", "pytest", str(BENCH), "-q", "-s", "-p", "no:cacheprovider", f"--ds={settings}",
                            "-o", "log_cli=false"], env=env, cwd=site, timeout=1800)
        (WORK / f"queries-{label}-{db}.log").write_text(out + err)
        found = [ln.split("\t") for ln in out.splitlines() if ln.startswith("QUERIES\t")]
        if rc != 0 or not found:
            checks.bad(f"queries.{db}.{label}", f"the benchmark did not run (exit {rc}): {oneline((out + err)[-300:])}")
            continue
        for _, case, n in found:
            table.setdefault(case, {})[label] = n
        for _, case, n in (ln.split("\t") for ln in out.splitlines() if ln.startswith("AUTH\t")):
            table.setdefault(case, {})["auth"] = n
    if not table:
        return
    say(f"database queries per request on {db} (whole request: middleware, authentication, view)")
    print(f"   {'case':40s} {'stock':>6s} {'ours':>6s}  ours, authentication alone")
    for case, row in table.items():
        print(f"   {case:40s} {row.get('stock', '-'):>6s} {row.get('ours', '-'):>6s}  {row.get('auth', '(the whole view)')}")
