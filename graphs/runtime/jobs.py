"""Runs as jobs: enqueue a graph run (carry on a campaign, apply recorded decisions) and let any
worker process run it under a lease it keeps alive; a worker that dies mid-run loses its lease
and the next worker takes the run over from the last checkpoint (first step of issue 13 item 2:
the page and the CLI still run synchronously; `signoff worker` drains the queue)."""

from __future__ import annotations

import logging
import os
import threading
import uuid
from typing import Any

from graphs.runtime.campaigns import Campaigns

log = logging.getLogger(__name__)

KINDS = ("retry", "apply")
LEASE_S = 60.0


class RunQueue(Campaigns):
    """The durable run queue and the worker's side of it."""

    def enqueue_run(self, kind: str, thread_id: str) -> int:
        """Queue a run of `kind` ("retry": carry the campaign on; "apply": apply its recorded
        decisions) for any worker; returns the job id."""
        if kind not in KINDS:
            raise ValueError(f"Unknown run kind {kind!r}; expected one of {list(KINDS)}.")
        return self.store.enqueue(kind, thread_id)

    def run_queued(self, stop: threading.Event) -> int:
        """Drain the run queue between scheduler steps (`signoff worker`, the app's thread)."""
        ran = 0
        while not stop.is_set() and self.work_once() is not None:
            ran += 1
        return ran

    def work_once(self, owner: str | None = None, *, ttl: float = LEASE_S) -> dict[str, Any] | None:
        """Claim one job (or take over one whose worker died) and run it; None when idle."""
        owner = owner or f"{os.getpid()}:{uuid.uuid4().hex[:8]}"
        job = self.store.claim_job(owner, ttl=ttl)
        if job is None:
            return None
        stop = threading.Event()

        def beat() -> None:
            while not stop.wait(ttl / 3):
                if not self.store.heartbeat(job["id"], owner, ttl=ttl):
                    log.warning("job %s is no longer ours", job["id"])
                    return

        pulse = threading.Thread(target=beat, name=f"signoff-job-{job['id']}", daemon=True)
        pulse.start()
        try:
            if job["kind"] == "retry":
                self.retry(job["thread_id"])
            else:
                self.apply(job["thread_id"])
        except Exception as exc:
            log.exception("job %s (%s %s) failed", job["id"], job["kind"], job["thread_id"])
            self.store.finish_job(job["id"], owner, "failed", repr(exc))
        else:
            self.store.finish_job(job["id"], owner, "done")
        finally:
            stop.set()
            pulse.join(timeout=5)
        return self.store.job(job["id"])
