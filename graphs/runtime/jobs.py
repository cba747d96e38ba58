"""Runs as jobs: graph runs (a new campaign, the resume after decisions, a send-back's redraft,
a retry, a hold's release) are work items in the database that worker processes claim under a
lease they keep alive. A worker that dies mid-run loses its lease and the next worker takes the
run over from the last checkpoint; the outbox keeps it from repeating a send.

With `Signoff(queued=True)` (the page, the CLI) a decision is still recorded at once (first
wins, authority, audit), and only the graph run that follows goes to the queue. Workers write
each run's progress lines to its job; pages and the CLI read them from there (`run_progress`,
`wait_for`). Without `queued` (notebooks, library use) everything runs in the calling process.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
import uuid
from collections.abc import Callable
from typing import Any

from graphs.errors import NotFound
from graphs.runtime.campaigns import Campaigns
from graphs.runtime.runs import Progress
from graphs.runtime.stored import last_checkpoint, next_branches

log = logging.getLogger(__name__)

KINDS = ("start", "retry", "apply")
LEASE_S = float(os.environ.get("SIGNOFF_JOB_LEASE_S") or 60)  # renewed every third of that
WORKER_TTL_S = 15.0  # a worker counts as alive this long after its last heartbeat
MAX_LINES = 200  # progress lines kept per job


def worker_name() -> str:
    """A name unique to this process: host:pid:nonce."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"


def past_drafting(checkpointer: Any, thread_id: str) -> bool:
    """Whether the campaign's run got past its drafting: a branch reached its gate (an
    interrupt, answered or not) or finished, and none stopped on an error. A branch whose
    drafting failed (its model call, which may fail again) waits for a person's Retry."""
    from langgraph.pregel._task_status import read_task_statuses  # LangGraph's own reading

    saved = last_checkpoint(checkpointer, thread_id)
    statuses = list(read_task_statuses(saved.pending_writes or ()).values()) if saved else []
    return any(s.output or s.interrupts for s in statuses) and not any(
        s.error is not None for s in statuses
    )


class RunQueue(Campaigns):
    """The durable run queue: where runs go (here or the queue), the worker's side, the reads."""

    queued: bool = False  # True: graph runs go to the queue for a worker (the page, the CLI)

    def enqueue_run(self, kind: str, thread_id: str, payload: dict[str, Any] | None = None) -> int:
        """Queue a run of `kind` ("start": a new campaign's first run, its input in `payload`;
        "retry": carry the campaign on; "apply": apply its recorded decisions) for any worker;
        returns the job id."""
        if kind not in KINDS:
            raise ValueError(f"Unknown run kind {kind!r}; expected one of {list(KINDS)}.")
        job = self.store.enqueue(kind, thread_id, payload)
        log.info("queued job %s: %s %s", job, kind, thread_id[:8])
        return job

    # -- where a run goes: here, or to the queue ----------------------------------------------
    def _launch(self, thread_id: str, payload: Any, on_progress: Progress | None) -> int | None:
        if not self.queued:
            return super()._launch(thread_id, payload, on_progress)
        return self.enqueue_run("start", thread_id, {"input": payload})

    @property
    def _leases_ahead(self) -> bool:  # type: ignore[override]
        return not self.queued  # a queued resume: the worker that claims it takes the lease

    def _carry_on(
        self, thread_id: str, on_progress: Progress | None = None, leased: str | None = None
    ) -> int | None:
        if not self.queued:
            return super()._carry_on(thread_id, on_progress, leased)
        if leased is not None:  # never taken for a queued resume (`_leases_ahead`); if so, freed
            self.store.release(thread_id, leased)
        if not self.store.unapplied(thread_id):
            return None  # endorsements only: nothing to resume
        for job in self.store.thread_jobs(thread_id, open_only=True):
            # A job not yet claimed applies every decision recorded before it runs.
            if job["status"] == "queued" and job["kind"] in ("apply", "retry"):
                return int(job["id"])
        return self.enqueue_run("apply", thread_id)

    def retry(self, thread_id: str, *, on_progress: Progress | None = None) -> dict[str, Any]:
        if not self.queued:
            return super().retry(thread_id, on_progress=on_progress)
        summary = self.summary(thread_id)  # NotFound for an unknown campaign
        open_jobs = self.store.thread_jobs(thread_id, open_only=True)
        job = int(open_jobs[0]["id"]) if open_jobs else self.enqueue_run("retry", thread_id)
        return {**summary, "job": job}

    def recover(self) -> list[str]:
        """Queued mode: decisions recorded but not applied, and runs that stopped past their
        drafting without a job, go to the queue (a worker applies them)."""
        if not self.queued:
            return super().recover()
        for thread_id in sorted({d["thread_id"] for d in self.store.unapplied()}):
            # a running job applies them, or is taken over and does: one run per thread
            if not self.store.thread_jobs(thread_id, open_only=True):
                self._carry_on(thread_id)
        for campaign in self.store.campaigns():
            thread_id = campaign["thread_id"]
            if campaign["status"] != "running" or self.store.thread_jobs(thread_id, open_only=True):
                continue
            # read from the checkpoint: the page process never builds the graph for this
            nxt = next_branches(self.checkpointer, thread_id)
            if (
                nxt
                and set(nxt) <= {"review", "batch"}
                and past_drafting(self.checkpointer, thread_id)
            ):
                self.enqueue_run("retry", thread_id)
        return []

    # -- the worker's side ---------------------------------------------------------------------
    def run_queued(self, stop: threading.Event) -> int:
        """Drain the run queue between scheduler steps (`signoff worker`)."""
        ran = 0
        while not stop.is_set() and self.work_once() is not None:
            ran += 1
        return ran

    def work_once(
        self,
        owner: str | None = None,
        *,
        ttl: float = LEASE_S,
        job_id: int | None = None,
        echo: Progress | None = None,
    ) -> dict[str, Any] | None:
        """Claim one job (the oldest, a given one with `job_id`, or one whose worker died) and
        run it here; None when there is nothing to do. `echo` also gets each progress line."""
        owner = owner or worker_name()
        if job_id is not None:
            job = self.store.claim_this(job_id, owner, ttl=ttl)
        else:
            job = self.store.claim_job(owner, ttl=ttl)
        if job is None:
            return None
        stop = threading.Event()

        def beat() -> None:
            while not stop.wait(ttl / 3):
                if not self.store.heartbeat(job["id"], owner, ttl=ttl):
                    # a heartbeat that met the job's own finish (`stop` is set before it) is
                    # the job ending; otherwise another worker took it over
                    if not stop.is_set():
                        log.warning("job %s is no longer ours", job["id"])
                    return

        pulse = threading.Thread(target=beat, name=f"signoff-job-{job['id']}", daemon=True)
        pulse.start()
        feed = JobFeed(self.store, job, owner, echo)
        if job["attempts"] > 1:
            feed("worker", "Carrying on where another worker stopped")
        error: str | None = None
        try:
            try:
                self._execute(job, feed)
            except Exception as exc:  # the job says why; its worker (or the CLI) reports it
                log.info(
                    "job %s (%s %s) failed", job["id"], job["kind"], job["thread_id"], exc_info=True
                )
                error = f"{type(exc).__name__}: {exc}"
            finally:
                stop.set()  # before the finish: a heartbeat that meets it knows the job ended
            self.store.finish_job(job["id"], owner, "done" if error is None else "failed", error)
        finally:
            pulse.join(timeout=5)
        return self.store.job(job["id"])

    def _execute(self, job: dict[str, Any], feed: Progress) -> None:
        thread_id = job["thread_id"]
        if self.store.campaign(thread_id) is None:
            raise NotFound(f"No campaign {thread_id!r}; list campaigns with `signoff campaigns`.")
        if job["kind"] == "start":
            with self.store.lease(thread_id):
                if self.checkpointer.get_tuple(self._config(thread_id)) is None:
                    self._run(thread_id, job["payload"]["input"], feed)
                    return
            # taken over after the first checkpoint: carry on from there, never start again
        if job["kind"] == "retry":
            self.store.audit("campaign.retried", {}, thread_id=thread_id)
        self._resume_thread(thread_id, feed)

    def _resume_thread(self, thread_id: str, feed: Progress) -> None:
        """Apply the recorded decisions, then carry on any step that did not finish (a run that
        stopped or was taken over); steps waiting for a person are left waiting."""
        self.apply(thread_id, on_progress=feed)
        with self.store.lease(thread_id):
            state = self.graph.get_state(self._config(thread_id))
            if any(not task.interrupts for task in state.tasks):
                self.store.set_campaign_status(thread_id, "running")
                self._run(thread_id, None, feed)

    def serve(
        self,
        stop: threading.Event,
        *,
        interval: float = 1.0,
        name: str | None = None,
        once: bool = False,
        step: Callable[[], Any] | None = None,
        on_job: Callable[[dict[str, Any]], None] | None = None,
    ) -> int:
        """The worker loop (`signoff worker`): a scheduler step (`step`, default `tick()`: holds,
        expiries, reminders; their runs are queued), then every queued job, again every
        `interval` s until `stop`. Says it is alive in the database meanwhile. Returns the
        number of jobs it ran."""
        name = name or worker_name()
        detail = f"pid {os.getpid()} on {socket.gethostname()}"
        alive = threading.Event()

        def beat() -> None:
            while not alive.is_set():
                try:
                    self.store.worker_beat(name, detail, ttl=WORKER_TTL_S)
                except Exception:  # a busy database: the next beat tries again
                    log.warning("worker heartbeat failed", exc_info=True)
                alive.wait(WORKER_TTL_S / 3)

        self.store.worker_beat(name, detail, ttl=WORKER_TTL_S)
        pulse = threading.Thread(target=beat, name="signoff-worker-beat", daemon=True)
        pulse.start()
        ran = 0
        log.info("worker %s started (a step every %.1f s)", name, interval)
        try:
            while not stop.is_set():
                try:
                    (step or self.tick)()
                    while not stop.is_set():
                        job = self.work_once(name)
                        if job is None:
                            break
                        ran += 1
                        if on_job:
                            on_job(job)
                except Exception:
                    log.exception("worker step failed; trying again in %s s", interval)
                if once:
                    break
                stop.wait(interval)
        finally:
            alive.set()
            pulse.join(timeout=5)
            self.store.worker_gone(name)
        return ran

    # -- reads for the page and the CLI ----------------------------------------------------------
    def job(self, job_id: int) -> dict[str, Any] | None:
        """One job as stored (status, owner, attempts, error, payload)."""
        return self.store.job(job_id)

    def workers(self) -> list[dict[str, Any]]:
        """Workers alive now (their heartbeat has not run out)."""
        return self.store.workers_alive()

    def job_view(self, job: dict[str, Any], now: float | None = None) -> dict[str, Any]:
        """A job as the page and the CLI show it: its progress lines with elapsed seconds."""
        now = time.time() if now is None else now
        payload = job.get("payload") or {}
        lines = payload.get("progress") or []
        started = payload.get("started_at")
        end = lines[-1]["at"] if job["status"] in ("done", "failed") and lines else now
        return {
            "id": job["id"],
            "kind": job["kind"],
            "thread_id": job["thread_id"],
            "status": job["status"],
            "attempts": job["attempts"],
            "error": job.get("error"),
            "lines": [
                {**line, "elapsed": round(line["at"] - started, 1) if started else None}
                for line in lines
            ],
            "elapsed": round(end - started, 1) if started else None,
            "ahead": self.store.queued_before(job["id"]) if job["status"] == "queued" else 0,
        }

    def run_progress(self, thread_id: str) -> dict[str, Any] | None:
        """The latest run of a campaign (queued, running or finished), or None."""
        jobs = self.store.thread_jobs(thread_id)
        return self.job_view(jobs[0]) if jobs else None

    def queue_status(self) -> dict[str, Any]:
        """What to monitor: queue depth, the oldest queued job's age, failed jobs, workers."""
        counts = self.store.job_counts()
        oldest = counts["oldest_queued_at"]
        from graphs.humanize import to_epoch

        at = to_epoch(oldest)
        age = max(0.0, time.time() - at) if at is not None else None
        return {
            "queued": counts["counts"].get("queued", 0),
            "running": counts["counts"].get("running", 0),
            "done": counts["counts"].get("done", 0),
            "failed": counts["counts"].get("failed", 0),
            "oldest_queued_seconds": age,
            "workers": self.workers(),
            "open": [self.job_view(j) for j in self.store.open_jobs(20)],
            "recent_failed": [
                {k: j[k] for k in ("id", "kind", "thread_id", "error", "updated_at", "attempts")}
                for j in self.store.jobs("failed", limit=10)
            ],
        }

    def wait_for(
        self,
        job_id: int,
        *,
        on_progress: Progress | None = None,
        on_no_worker: Callable[[], None] | None = None,
        poll: float = 0.3,
    ) -> dict[str, Any]:
        """Wait for a job, passing on its progress lines as workers write them; when it is
        queued and no worker is alive, run it here (a laptop without `make run`)."""
        shown = 0
        while True:
            job = self.store.job(job_id)
            if job is None:
                raise NotFound(f"No job {job_id}; `signoff jobs` lists the queue.")
            lines = (job["payload"] or {}).get("progress") or []
            for line in lines[shown:]:
                if on_progress:
                    on_progress(line["step"], line["message"])
            shown = len(lines)
            if job["status"] in ("done", "failed"):
                return job
            if job["status"] == "queued" and not self.store.workers_alive():
                if on_no_worker:
                    on_no_worker()
                ran = self.work_once(job_id=job_id, echo=on_progress)
                if ran is not None:
                    return ran
                continue  # a worker claimed it meanwhile
            time.sleep(poll)


class JobFeed:
    """A running job's progress callback: each line (with its time) is written to the job."""

    def __init__(
        self, store: Any, job: dict[str, Any], owner: str, echo: Progress | None = None
    ) -> None:
        self.store = store
        self.job_id = int(job["id"])
        self.owner = owner
        self.echo = echo
        self.payload = dict(job.get("payload") or {})
        self.payload.setdefault("started_at", time.time())
        self.payload["progress"] = list(self.payload.get("progress") or [])
        self.store.note_job(self.job_id, owner, self.payload)

    def __call__(self, step: str, message: str) -> None:
        self.payload["progress"] = [
            *self.payload["progress"][-(MAX_LINES - 1) :],
            {"at": time.time(), "step": step, "message": message},
        ]
        try:
            self.store.note_job(self.job_id, self.owner, self.payload)
        except Exception:  # progress is best effort; the run goes on
            log.warning("could not write progress of job %s", self.job_id, exc_info=True)
        if self.echo:
            self.echo(step, message)
