"""A pytest plugin for the whole-suite run (tests/label_studio/suite.py): one line per test,
``outcome<TAB>node id``, into the file LS_OUTCOMES_FILE names. Loaded with ``-p ls_outcomes``.

One outcome per test, the worst of its phases: ``error`` (set-up or teardown failed),
``failed``, ``skipped`` or ``passed``; an expected failure is ``xfailed``, an unexpected pass
``xpassed``. Read from the reports, not from the terminal, so node ids with spaces survive.
"""

from __future__ import annotations

import os
from typing import Any, Dict

# A passing set-up is reported before the call: the call's xfailed / xpassed must outrank it.
_RANK = {"passed": 0, "xfailed": 1, "xpassed": 1, "skipped": 2, "failed": 3, "error": 4}
_outcomes: Dict[str, str] = {}


def pytest_runtest_logreport(report: Any) -> None:
    if report.when == "call":
        if hasattr(report, "wasxfail"):
            outcome = "xfailed" if report.skipped else "xpassed"
        else:
            outcome = report.outcome
    elif report.failed:
        outcome = "error"
    elif report.skipped:
        outcome = "skipped"
    else:
        outcome = "passed"
    old = _outcomes.get(report.nodeid)
    if old is None or _RANK[outcome] > _RANK[old]:
        _outcomes[report.nodeid] = outcome


def pytest_collectreport(report: Any) -> None:
    # A module that cannot be imported has no tests to report: it is one error.
    if report.failed:
        _outcomes[report.nodeid or "<collection>"] = "error"


def pytest_sessionfinish(session: Any, exitstatus: int) -> None:
    path = os.environ.get("LS_OUTCOMES_FILE")
    if not path:
        return
    with open(path, "w", encoding="utf-8") as f:
        for nodeid in sorted(_outcomes):
            f.write(f"{_outcomes[nodeid]}\t{nodeid}\n")
