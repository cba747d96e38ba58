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
    {"op": "workers", "home", "env", "briefs", "workers": 2, "result"}
        runs in workers (PostgreSQL through SIGNOFF_DATABASE_URL): this child is the page (it
        queues the briefs and approves what comes up, `Signoff(queued=True)`); it forks
        `workers` worker processes that run the jobs. SIGNOFF_CRASH_AT counts the point's
        occurrences across all the workers (a counter file under flock), so exactly one worker
        is SIGKILLed mid-run, writing first what it held (its job's run, the outbox keys it had
        claimed and not recorded: CRASH_RECORD); the page attributes the crash windows from that
        and the jobs it still owns (`crash_windows`, right whether or not another worker took
        the run over before the page looked), forks a
        replacement, and the survivors take the run over once its lease
        (SIGNOFF_JOB_LEASE_S) runs out. Ends when nothing is queued, running or pending.

`env` is applied to os.environ before the data directory is opened (SIGNOFF_POLICY, the
connectors' SIGNOFF_* settings, SIGNOFF_CRASH_AT).
"""

from __future__ import annotations

import fcntl
import importlib
import json
import logging
import os
import signal
import sqlite3
import sys
import threading
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


WORKERS_TIMEOUT = 150.0  # seconds for a trial's runs in workers to go quiet


CRASH_RECORD = "crash-record.json"  # written by the worker that dies, just before it does


class InFlight:
    """What this worker holds, known in its own process (no timing): the job it runs and the
    outbox keys it is claiming or has claimed and not yet recorded a result for. The store's
    claim/retry_claim/finish and job claims are wrapped on this worker's runtime only."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.keys: set[str] = set()
        self.threads: set[str] = set()

    def watch(self, store: Any) -> None:
        claim, retry_claim, finish = store.claim, store.retry_claim, store.finish
        claim_job, claim_this = store.claim_job, store.claim_this

        def claiming(key: str, *args: Any, **kwargs: Any) -> Any:
            with self.lock:  # before the INSERT: a kill mid-statement still names the key
                self.keys.add(key)
            existing = claim(key, *args, **kwargs)
            if existing is not None:  # not claimed here
                with self.lock:
                    self.keys.discard(key)
            return existing

        def retrying(key: str) -> None:
            with self.lock:
                self.keys.add(key)
            retry_claim(key)

        def finishing(key: str, *args: Any, **kwargs: Any) -> None:
            finish(key, *args, **kwargs)
            with self.lock:  # after the commit: a kill mid-commit still names the key
                self.keys.discard(key)

        def job(claimer: Any) -> Any:
            def claimed(*args: Any, **kwargs: Any) -> Any:
                got = claimer(*args, **kwargs)
                with self.lock:
                    self.threads = {got["thread_id"]} if got else set()
                return got

            return claimed

        store.claim, store.retry_claim, store.finish = claiming, retrying, finishing
        store.claim_job, store.claim_this = job(claim_job), job(claim_this)

    def record(self, path: Path) -> None:
        with self.lock:
            held = {"threads": sorted(self.threads), "keys": sorted(self.keys)}
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps(held), encoding="utf-8")
        os.replace(tmp, path)


def crash_windows(
    outbox: list[dict[str, Any]], threads: set[str], keys: set[str]
) -> list[dict[str, Any]]:
    """The outbox rows a killed worker left mid-send, each with `window`: its `sending` rows
    (the runs it held, `threads`), and the keys it had claimed and not recorded (`keys`, from
    its own record) that are still `sending` or that a takeover has since moved to `in_doubt`
    (a row it finished, or never claimed, is `done`/`failed`: no window). Independent of
    whether another worker took the run over before the page looked."""
    rows = []
    for r in outbox:
        window = (r["thread_id"] in threads and r["status"] == "sending") or (
            r["key"] in keys and r["status"] in ("sending", "in_doubt")
        )
        if r["thread_id"] in threads or window:
            rows.append(
                {k: r[k] for k in ("key", "thread_id", "action_id", "name", "status", "attempts")}
                | {"window": window}
            )
    return rows


def arm_shared(counter: Path, held: InFlight | None = None) -> None:
    """Replace `faults.point` in this worker: the occurrences of SIGNOFF_CRASH_AT's point are
    counted across every worker of the trial (one file, under flock); the worker that reaches
    the n-th writes what it holds (`held`, CRASH_RECORD next to the counter) and dies, the
    others never do."""
    target = faults.parse(os.environ.get(faults.ENV))

    def point(name: str) -> None:
        if target is None or target[0] != name:
            return
        with open(counter, "a+", encoding="utf-8") as f:
            fcntl.flock(f, fcntl.LOCK_EX)
            f.seek(0)
            count = int(f.read().strip() or 0) + 1
            f.seek(0)
            f.truncate()
            f.write(str(count))
            f.flush()
            if count == target[1]:
                if held is not None:
                    held.record(counter.parent / CRASH_RECORD)
                os.kill(os.getpid(), signal.SIGKILL)  # the lock goes with the process

    faults.point = point  # type: ignore[assignment]  # the executor calls faults.point(...)


def _worker(job: dict[str, Any], owner: str, crash: bool, stop: Path) -> None:
    """A forked worker: its own runtime; claims and runs jobs until the page says stop."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 1)
    code = 0
    try:
        env = dict(job.get("env", {}))
        if not crash:
            env.pop(faults.ENV, None)
        apply_env(env)
        lease = float(os.environ.get("SIGNOFF_JOB_LEASE_S") or 2)
        runtime = Signoff(job["home"], model=ScriptedChatModel(), queued=True, recover=False)
        held = InFlight()
        held.watch(runtime.store)
        arm_shared(Path(job["home"]) / "crash-count", held)
        while not stop.exists():
            if runtime.work_once(owner, ttl=lease) is None:
                time.sleep(0.1)
        runtime.close()
    except BaseException:
        traceback.print_exc()
        code = 3
    finally:
        os._exit(code)


def workers(job: dict[str, Any], report: Report) -> None:
    home = Path(job["home"])
    home.mkdir(parents=True, exist_ok=True)
    stop = home / "stop-workers"
    stop.unlink(missing_ok=True)
    (home / CRASH_RECORD).unlink(missing_ok=True)
    runtime = Signoff(home, model=ScriptedChatModel(), queued=True, recover=False)
    for plan in job["briefs"]:
        report("starting", product=plan["brief"]["product"])
        summary = runtime.start(plan["brief"], audience=plan.get("audience"), by="harness")
        report("started", thread_id=summary["thread_id"], status=summary["status"])
    procs: dict[int, str] = {}

    def spawn(n: int, crash: bool) -> None:
        owner = f"fault-worker-{n}:{os.getpid()}"
        pid = os.fork()
        if pid == 0:
            _worker(job, f"{owner}:{os.getpid()}", crash, stop)
        procs[pid] = f"{owner}:{pid}"

    for n in range(int(job.get("workers", 2))):
        spawn(n, crash=True)
    errors: list[str] = []
    retried: dict[str, int] = {}
    killed: list[dict[str, Any]] = []
    spawned = len(procs)
    deadline = time.monotonic() + float(job.get("quiet_within", WORKERS_TIMEOUT))
    quiet = 0
    while time.monotonic() < deadline:
        for pid in list(procs):
            done, status = os.waitpid(pid, os.WNOHANG)
            if not done:
                continue
            owner = procs.pop(pid)
            if os.WIFSIGNALED(status) and os.WTERMSIG(status) == signal.SIGKILL:
                # the outbox as the kill left it, for the runs the dead worker held: the jobs it
                # still owns, and what it said it held as it died (another worker may already
                # have taken the run over and moved its send to in doubt)
                threads = {
                    j["thread_id"] for j in runtime.store.jobs("running") if j["owner"] == owner
                }
                record = home / CRASH_RECORD
                held = json.loads(record.read_text("utf-8")) if record.exists() else {}
                threads |= set(held.get("threads", []))
                rows = crash_windows(runtime.store.outbox(), threads, set(held.get("keys", [])))
                killed.append({"pid": pid, "owner": owner, "threads": sorted(threads)})
                report("killed", pid=pid, owner=owner, threads=sorted(threads), outbox=rows)
            else:
                errors.append(f"worker {owner} ended with status {status}")
            spawn(spawned, crash=False)  # the next worker
            spawned += 1
        status_now = runtime.queue_status()
        busy = status_now["queued"] + status_now["running"]
        approved = [] if busy else approve_all(runtime)
        if not busy and not approved:
            stuck = [
                c["thread_id"]
                for c in runtime.campaigns()
                if c["status"] in ("running", "error") and retried.get(c["thread_id"], 0) < 3
            ]
            for thread_id in stuck:
                retried[thread_id] = retried.get(thread_id, 0) + 1
                try:
                    runtime.retry(thread_id)
                except Exception as exc:
                    errors.append(f"retry {thread_id[:8]}: {type(exc).__name__}: {exc}")
            quiet = 0 if stuck else quiet + 1
            if quiet >= 2:
                break
        else:
            quiet = 0
        time.sleep(0.2)
    else:
        errors.append(f"the runs did not go quiet in {job.get('quiet_within', WORKERS_TIMEOUT)} s")
    stop.touch()
    ends = time.monotonic() + 30
    while procs and time.monotonic() < ends:
        for pid in list(procs):
            done, status = os.waitpid(pid, os.WNOHANG)
            if done:
                owner = procs.pop(pid)
                if status:
                    errors.append(f"worker {owner} ended with status {status}")
        time.sleep(0.05)
    for pid in procs:
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
        errors.append(f"worker pid {pid} did not stop; killed")
    failed_jobs = [j for j in runtime.store.jobs("failed") if j.get("error")]
    report(
        "recovered",
        errors=errors,
        workers_killed=len(killed),
        failed_jobs=[f"{j['kind']} {j['thread_id'][:8]}: {j['error']}" for j in failed_jobs],
        takeovers=sum(1 for j in runtime.store.jobs() if j["attempts"] > 1),
        **state(runtime),
    )
    runtime.close()


OPS = {"crash": crash, "recover": recover, "settle": settle, "workers": workers}


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
