"""The crash harness's child process: runs one job against a data directory, through the facade.

    python tests/fault_child.py run JOB.json     one job in this process, then exit
    python tests/fault_child.py serve            a pre-imported server: reads one JSON job per
                                                 line on stdin, runs each in a forked child and
                                                 answers one JSON line per job on stdout

Importing LangGraph costs seconds of CPU on these machines; `serve` pays it once and forks a
fresh process per job (the server itself never opens a data directory, so every child starts as
a restarted process would: nothing in memory but the imported code). A job's child can be killed
by `SIGNOFF_CRASH_AT` (graphs/faults.py) like any other process.

Jobs (JSON objects; `result` is a file the child writes its report to, JSON lines):

    {"op": "crash", "home", "env", "briefs": [{"brief", "audience"?}], "result"}
        start every brief, then approve every pending item in one `decide_many`
    {"op": "recover", "home", "env", "result"}
        the outbox as the crash left it; then a restart (`Signoff(...)` recovers), `retry()` for
        campaigns left `running`/`error`, approve what is pending; the outcome
    {"op": "settle", "home", "env", "choices": {key: "mark_sent" | "send_again"}, "result"}
        settle in-doubt items; the outcome

`env` is applied to os.environ before the data directory is opened (SIGNOFF_POLICY, the
connectors' SIGNOFF_* settings, SIGNOFF_CRASH_AT).
"""

from __future__ import annotations

import importlib
import json
import logging
import os
import signal
import sqlite3
import sys
import time
import traceback
from pathlib import Path
from typing import Any

TESTS = Path(__file__).resolve().parent
ROOT = TESTS.parent
for where in (str(TESTS), str(ROOT)):
    if where not in sys.path:
        sys.path.insert(0, where)

from fakes import ScriptedChatModel  # noqa: E402

from graphs import faults  # noqa: E402
from graphs.runtime import Signoff  # noqa: E402

JOB_TIMEOUT = 120.0  # seconds; a child still running then is killed and reported as hung


class Report:
    """JSON lines appended to the job's result file as the job goes (they survive a SIGKILL)."""

    def __init__(self, path: str) -> None:
        self.out = open(path, "a", encoding="utf-8")  # noqa: SIM115 - closed by os._exit

    def __call__(self, kind: str, **data: Any) -> None:
        self.out.write(json.dumps({"kind": kind, **data}, default=str) + "\n")
        self.out.flush()


def read_report(path: str | Path) -> list[dict[str, Any]]:
    path = Path(path)
    if not path.exists():
        return []
    lines = []
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            lines.append(json.loads(line))
        except ValueError:  # a line cut short by the kill
            continue
    return lines


def apply_env(env: dict[str, str]) -> None:
    """The job's settings; SIGNOFF_CRASH_AT is read by graphs.faults at import, so re-import it."""
    for name in [n for n in os.environ if n.startswith("SIGNOFF_")]:
        del os.environ[name]
    os.environ.update(env)
    importlib.reload(faults)


def approve_all(runtime: Signoff) -> list[str]:
    pending = [p for p in runtime.pending() if "approve" in p["allowed_decisions"]]
    if not pending:
        return []
    decisions: dict[str, dict[str, Any]] = {}
    for item in pending:
        decision: dict[str, Any] = {"type": "approve"}
        if item["needs_check"]:
            decision["checked"] = True  # the harness reviews nothing; it only approves
        decisions[item["id"]] = decision
    runtime.decide_many(decisions, by="harness")
    return list(decisions)


def outbox_rows(home: Path) -> list[dict[str, Any]]:
    """The outbox read straight from the file, before any runtime opens (and recovers) it."""
    db = home / "signoff.db"
    if not db.exists():
        return []
    conn = sqlite3.connect(str(db), timeout=30)
    try:
        rows = conn.execute(
            "SELECT key, thread_id, action_id, name, status, attempts FROM outbox"
        ).fetchall()
    except sqlite3.OperationalError:  # killed before the tables existed
        return []
    finally:
        conn.close()
    keys = ("key", "thread_id", "action_id", "name", "status", "attempts")
    return [dict(zip(keys, row, strict=True)) for row in rows]


def state(runtime: Signoff) -> dict[str, Any]:
    campaigns = []
    for c in runtime.campaigns():
        campaigns.append(
            {"thread_id": c["thread_id"], "status": c["status"], "product": c["brief"]["product"]}
        )
    outbox = [
        {k: row[k] for k in ("key", "thread_id", "action_id", "name", "status", "attempts")}
        | {"args": row["args"], "result": row["result"]}
        for row in runtime.store.outbox()
    ]
    return {
        "campaigns": campaigns,
        "outbox": outbox,
        "in_doubt": [{k: i[k] for k in ("key", "action", "error")} for i in runtime.in_doubt()],
        "failed": [
            {k: i[k] for k in ("key", "action", "error", "retryable")} for i in runtime.failed()
        ],
        "pending": [{k: p[k] for k in ("id", "action", "thread_id")} for p in runtime.pending()],
        "unapplied": len(runtime.store.unapplied()),
        "audit": runtime.audit_verify(),
        "audited": {
            event: sorted(
                {e["detail"].get("key") for e in runtime.activity(event=event, limit=10**6)}
            )
            for event in ("action.executed", "action.settled", "action.in_doubt")
        },
    }


def crash(job: dict[str, Any], report: Report) -> None:
    runtime = Signoff(job["home"], model=ScriptedChatModel())
    for plan in job["briefs"]:
        report("starting", product=plan["brief"]["product"])
        summary = runtime.start(plan["brief"], audience=plan.get("audience"), by="harness")
        report("started", thread_id=summary["thread_id"], status=summary["status"])
    approved = approve_all(runtime)
    report("survived", approved=approved, **state(runtime))
    runtime.close()


def recover(job: dict[str, Any], report: Report) -> None:
    home = Path(job["home"])
    report("before", outbox=outbox_rows(home))
    runtime = Signoff(home, model=ScriptedChatModel())  # recover() runs here
    errors = []
    for _ in range(3):  # a retried run may bring new reviews; those are approved too
        for c in runtime.campaigns():
            if c["status"] in ("running", "error"):
                try:
                    runtime.retry(c["thread_id"])
                except Exception as exc:  # reported, counted by the parent
                    errors.append(f"retry {c['thread_id'][:8]}: {type(exc).__name__}: {exc}")
        try:
            if not approve_all(runtime):
                break
        except Exception as exc:
            errors.append(f"approve: {type(exc).__name__}: {exc}")
            break
    report("recovered", errors=errors, **state(runtime))
    runtime.close()


def settle(job: dict[str, Any], report: Report) -> None:
    runtime = Signoff(job["home"], model=ScriptedChatModel())
    errors = []
    for key, choice in job["choices"].items():
        try:
            outcome = runtime.settle(key, choice, by="harness")
            report("settled", key=key, choice=choice, status=outcome["status"])
        except Exception as exc:
            errors.append(f"settle {key[:12]} {choice}: {type(exc).__name__}: {exc}")
    report("after_settle", errors=errors, **state(runtime))
    runtime.close()


OPS = {"crash": crash, "recover": recover, "settle": settle}


def run_job(job: dict[str, Any]) -> None:
    """Run one job in this process; exceptions are reported, then re-raised."""
    report = Report(job["result"])
    apply_env(job.get("env", {}))
    try:
        OPS[job["op"]](job, report)
    except Exception as exc:
        report("error", error=f"{type(exc).__name__}: {exc}", trace=traceback.format_exc())
        raise


def _child(job: dict[str, Any]) -> None:
    """In the forked child: never write to the server's protocol pipe; exit without cleanup."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 1)
    code = 0
    try:
        run_job(job)
    except BaseException:
        code = 3
    finally:
        os._exit(code)


def wait(pid: int, timeout: float) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            break
        if time.monotonic() > deadline:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
            return {"pid": pid, "hung": True, "signal": None, "returncode": None}
        time.sleep(0.01)
    if os.WIFSIGNALED(status):
        return {"pid": pid, "hung": False, "signal": os.WTERMSIG(status), "returncode": None}
    return {"pid": pid, "hung": False, "signal": None, "returncode": os.WEXITSTATUS(status)}


def serve() -> None:
    """One job per stdin line; one answer per job on stdout: how the child ended."""
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr)
    out = sys.stdout
    out.write(json.dumps({"ready": os.getpid()}) + "\n")
    out.flush()
    for line in sys.stdin:
        if not line.strip():
            continue
        job = json.loads(line)
        started = time.monotonic()
        pid = os.fork()
        if pid == 0:
            _child(job)
        answer = wait(pid, float(job.get("timeout", JOB_TIMEOUT)))
        answer["seconds"] = round(time.monotonic() - started, 3)
        out.write(json.dumps(answer) + "\n")
        out.flush()


def main(argv: list[str]) -> int:
    if argv[:1] == ["serve"]:
        serve()
        return 0
    if len(argv) == 2 and argv[0] == "run":
        logging.basicConfig(level=logging.WARNING, stream=sys.stderr)
        run_job(json.loads(Path(argv[1]).read_text(encoding="utf-8")))
        return 0
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
