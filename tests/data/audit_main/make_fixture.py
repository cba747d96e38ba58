"""Writes this directory's audit chain with the code of the checkout it runs in.

The files here were written by main at 10ab768 (before the audit entry's hand-built JSON):
`cd <main checkout> && python <this file> <out dir>`. tests/unit/test_audit_compat.py checks
that today's code verifies them, appends to them, and still catches tampering.

Out: `rows.json` (the audit table, seq order, plus the highest sequence number handed out),
`anchor.jsonl` (the anchor file as written) and `key` (the test key, SIGNOFF_AUDIT_KEY).
"""

from __future__ import annotations

import datetime
import json
import os
import shutil
import sys
import tempfile
from pathlib import Path

KEY = "compat-fixture-key-not-a-secret-0123456789"


def main(out: Path) -> None:
    work = Path(tempfile.mkdtemp())
    anchor = work / "anchor.jsonl"
    os.environ["SIGNOFF_AUDIT_KEY"] = KEY
    os.environ["SIGNOFF_AUDIT_ANCHOR"] = str(anchor)
    sys.path.insert(0, os.getcwd())
    from graphs.store import Store, connect

    store = Store(connect(work / "home" / "signoff.db"), policy_version="policy-7")
    details: list[tuple[str, dict[str, object], str | None, str]] = [
        (
            "action.proposed",
            {"action": "send_email", "risk": 0.42, "reasons": []},
            "t-1",
            "signoff",
        ),
        ("decision.recorded", {"decision": {"type": "approve"}, "by": "Zoë"}, "t-1", "zoë@x.io"),
        (
            "campaign.note",
            {"text": 'quotes " and \\ backslash\nnew line\ttab \u2028 ☃ 😀'},
            None,
            "ann",
        ),
        (
            "batch.ready",
            {"when": datetime.datetime(2026, 1, 2, 3, 4, 5), "n": 10**20},
            "t-2",
            "cli",
        ),
        ("empty", {}, "", "signoff"),
    ]
    for event, detail, thread_id, actor in details:  # one transaction each
        store.audit(event, detail, thread_id=thread_id, actor=actor)
    with store.tx() as c:  # several entries in one transaction (one head read)
        for n in range(3):
            store._append_audit(c, "action.executed", {"n": n, "ok": True}, thread_id="t-3")
    store.policy_version = None
    store.audit("policy.none", {"float": 1.5e-7, "nan": float("nan")}, thread_id="t-4")
    rows = [dict(r) for r in store.query("SELECT * FROM audit ORDER BY seq")]
    top = store.query("SELECT seq FROM sqlite_sequence WHERE name = 'audit'")[0]["seq"]
    store.conn.close()
    out.mkdir(parents=True, exist_ok=True)
    (out / "rows.json").write_text(
        json.dumps({"highest": top, "rows": rows}, indent=1, ensure_ascii=True) + "\n"
    )
    shutil.copyfile(anchor, out / "anchor.jsonl")
    (out / "key").write_text(KEY + "\n")


if __name__ == "__main__":
    main(Path(sys.argv[1]))
