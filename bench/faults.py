"""`make faults`: the crash harness. SIGKILL at random points, restart, count deliveries.

    uv run python -m bench.faults [--kills 200] [--seed 1] [--lanes 2] [--keep] [--budget S]
    uv run python -m bench.faults --postgres --workers 2        (make faults DB=postgres)
    uv run python -m bench.faults --database-url URL --workers 2

Real loopback counterparts run in this process: an SMTP server (aiosmtpd; plain SMTP, which
cannot honour a key: messages counted by Message-ID), a social webhook and an ad platform that
honour their keys like real APIs (`Idempotency-Key`, `client_reference_id`), a Mastodon-like
server (statuses, favourites, follows; `Idempotency-Key`) and a WordPress-like pages API
(upsert by slug). Each trial, on a fresh data directory with a policy without holds:

    1. a child starts the trial's campaigns and approves everything pending (`decide_many`),
       with SIGNOFF_CRASH_AT=<point>:<n> so it is SIGKILLed mid-execution (auto-run actions,
       a medium-risk CMS page or a like, can be hit during `start`);
    2. a new child opens the data directory (`Signoff(...)` recovers), retries campaigns left
       `running`/`error`, approves what is pending and reports the outcome;
    3. each in-doubt item is settled as a person would: `mark_sent` when the server got it,
       `send_again` when it did not; then every approved action must have exactly one delivery.

With `--workers N` (required on PostgreSQL: `--postgres` starts a throwaway cluster,
`--database-url` uses yours; every trial gets a new database through SIGNOFF_DATABASE_URL) the
trial's graph runs happen in N worker processes instead (`tests/fault_child.py`, op `workers`):
the child is the page (`Signoff(queued=True)`: it queues the briefs, approves what comes up,
retries what stopped), N forked workers claim and run the jobs with a short lease
(SIGNOFF_JOB_LEASE_S, `--lease`, 2 s). The crash point's occurrences are counted across the
workers, so the n-th one SIGKILLs exactly one worker mid-run; the page snapshots the outbox of
that worker's runs (the crash windows), forks a replacement, and the other workers take the run
over once its lease runs out. Then steps 3 and the counting as above.

Children are forked from a pre-imported server (`tests/fault_child.py serve`): a fresh process
per job without paying LangGraph's import each time. The figures go to stdout, progress to
stderr; the exit status is 1 when any figure is wrong.
"""

from __future__ import annotations

import argparse
import email
import json
import logging
import os
import random
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
TESTS = ROOT / "tests"
for _where in (str(ROOT), str(TESTS)):
    if _where not in sys.path:
        sys.path.insert(0, _where)

from aiosmtpd.controller import Controller  # noqa: E402
from fault_child import read_report  # noqa: E402
from loopback import Loopback, Mastodon, Reply, Request, WordPress  # noqa: E402
from policy_support import no_holds  # noqa: E402

from graphs.faults import POINTS  # noqa: E402
from tools.ads import client_reference  # noqa: E402
from tools.email import message_id  # noqa: E402

CHILD = TESTS / "fault_child.py"
CONNECTORS = ("smtp", "webhook", "mastodon", "wordpress", "ads")
HONOURS_KEY = {"smtp": False, "webhook": True, "mastodon": True, "wordpress": True, "ads": True}
MIDWAY = ("after_claim", "after_connector")  # a crash here leaves a send in doubt
LABELS = {"before_claim": "b.claim", "after_claim": "a.claim", "after_connector": "a.conn"}
LABELS["after_record"] = "a.rec"
MASTODON_TOKEN = "t0ken"
WP_USER, WP_PASSWORD = "editor", "abcd efgh"
ENGAGE = ["https://other.test/@friend/999", "@friend@other.test"]  # known to the Mastodon fake
GOAL = "pre-orders before winter"


# -- the counterparts ------------------------------------------------------------------------------
class SmtpServer:
    """aiosmtpd on loopback: accepts everything, keeps a count per Message-ID."""

    def __init__(self) -> None:
        self.received: Counter[str] = Counter()
        self._lock = threading.Lock()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        msg = email.message_from_bytes(envelope.original_content or envelope.content)
        with self._lock:
            self.received[str(msg["Message-ID"])] += 1
        return "250 OK"


class KeyedWebhook:
    """A webhook that honours a key like a real API: a repeated key gets the first answer and
    changes nothing. Counts requests and effects (first sightings) per key."""

    def __init__(self, key_of: Callable[[Request], str]) -> None:
        self.key_of = key_of
        self.requests: Counter[str] = Counter()
        self.effects: Counter[str] = Counter()
        self._seen: dict[str, Reply] = {}
        self._lock = threading.Lock()

    def __call__(self, request: Request, match: re.Match[str]) -> Reply:
        key = self.key_of(request)
        with self._lock:
            self.requests[key] += 1
            if key in self._seen:
                return self._seen[key]
            self.effects[key] += 1
            reply = Reply(200, {"id": f"evt_{len(self._seen) + 1}", "received": True})
            self._seen[key] = reply
            return reply


class CountingMastodon(Mastodon):
    """The loopback Mastodon (it honours Idempotency-Key); counts requests and effects per key."""

    def __init__(self, server: Loopback, token: str) -> None:
        self.effects: Counter[str] = Counter()
        super().__init__(server, token=token)

    def _post_status(self, request: Request, match: re.Match[str]) -> Reply:
        self.effects[request.headers.get("idempotency-key", "")] += 1
        return super()._post_status(request, match)

    def _act(self, request: Request, match: re.Match[str]) -> Reply:
        self.effects[request.headers.get("idempotency-key", "")] += 1
        return super()._act(request, match)

    @property
    def requests(self) -> Counter[str]:
        return Counter(
            r.headers["idempotency-key"]
            for r in list(self.server.requests)
            if r.method == "POST" and "idempotency-key" in r.headers
        )


class CountingWordPress(WordPress):
    """The loopback WordPress: pages by slug. A page saved twice under one slug is a duplicate."""

    def __init__(self, server: Loopback) -> None:
        self.server = server
        super().__init__(server, WP_USER, WP_PASSWORD)

    @property
    def effects(self) -> Counter[str]:
        return Counter(str(p.get("slug")) for p in list(self.pages.values()))

    @property
    def requests(self) -> Counter[str]:
        return Counter(
            str((r.json or {}).get("slug"))
            for r in list(self.server.requests)
            if r.method == "POST" and isinstance(r.json, dict)
        )


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Counterparts:
    smtp: SmtpServer
    smtp_url: str
    social: KeyedWebhook
    social_url: str
    mastodon: CountingMastodon
    mastodon_url: str
    wordpress: CountingWordPress
    wordpress_url: str
    ads: KeyedWebhook
    ads_url: str

    def effects(self, connector: str) -> Counter[str]:
        if connector == "smtp":
            return Counter(self.smtp.received)
        return Counter(getattr(self, _SERVER[connector]).effects)

    def requests(self, connector: str) -> Counter[str]:
        if connector == "smtp":
            return Counter(self.smtp.received)
        return Counter(getattr(self, _SERVER[connector]).requests)

    def env(self, connector: str) -> dict[str, str]:
        """Every connector points at its counterpart; the social one is the trial's."""
        return {
            "SIGNOFF_SMTP_URL": self.smtp_url,
            "SIGNOFF_SOCIAL": "mastodon" if connector == "mastodon" else "webhook",
            "SIGNOFF_SOCIAL_WEBHOOK_URL": self.social_url,
            "SIGNOFF_MASTODON_URL": self.mastodon_url,
            "SIGNOFF_MASTODON_TOKEN": MASTODON_TOKEN,
            "SIGNOFF_CMS": "wordpress",
            "SIGNOFF_WORDPRESS_URL": self.wordpress_url,
            "SIGNOFF_WORDPRESS_USER": WP_USER,
            "SIGNOFF_WORDPRESS_APP_PASSWORD": WP_PASSWORD,
            "SIGNOFF_ADS_WEBHOOK_URL": self.ads_url,
        }


_SERVER = {"webhook": "social", "mastodon": "mastodon", "wordpress": "wordpress", "ads": "ads"}


def _quiet(loopback: Loopback) -> Loopback:
    """A child killed mid-request resets its connection: expected here, not worth a traceback."""
    server = loopback._server  # the ThreadingHTTPServer behind it
    if server is not None:
        server.handle_error = lambda request, client_address: None  # type: ignore[method-assign]
    return loopback


@contextmanager
def counterparts() -> Iterator[Counterparts]:
    logging.getLogger("mail.log").setLevel(logging.CRITICAL)  # aiosmtpd: killed clients
    with ExitStack() as stack:
        smtp = SmtpServer()
        port = _free_port()
        controller = Controller(smtp, hostname="127.0.0.1", port=port)
        controller.start()
        stack.callback(controller.stop)
        hooks = _quiet(stack.enter_context(Loopback()))
        social = KeyedWebhook(lambda r: r.headers.get("idempotency-key", ""))
        hooks.route("POST", r"/hooks/social/[\w-]+", social)
        ads = KeyedWebhook(lambda r: str((r.json or {}).get("client_reference_id")))
        hooks.route("POST", r"/hooks/ads", ads)
        masto_server = _quiet(stack.enter_context(Loopback()))
        wp_server = _quiet(stack.enter_context(Loopback()))
        yield Counterparts(
            smtp=smtp,
            smtp_url=f"smtp://127.0.0.1:{port}",
            social=social,
            social_url=f"{hooks.url}/hooks/social/s3cr3t-path",
            mastodon=CountingMastodon(masto_server, MASTODON_TOKEN),
            mastodon_url=masto_server.url,
            wordpress=CountingWordPress(wp_server),
            wordpress_url=wp_server.url,
            ads=ads,
            ads_url=f"{hooks.url}/hooks/ads",
        )


# -- children ----------------------------------------------------------------------------------------
class Lane:
    """One pre-imported child server (`fault_child.py serve`); jobs run one at a time."""

    def __init__(self, log_path: Path) -> None:
        env = {k: v for k, v in os.environ.items() if not k.startswith("SIGNOFF_")}
        env["PYTHONPATH"] = os.pathsep.join([str(ROOT), env.get("PYTHONPATH", "")]).rstrip(
            os.pathsep
        )
        self.log = open(log_path, "w", encoding="utf-8")  # noqa: SIM115 - closed in close()
        self.proc = subprocess.Popen(
            [sys.executable, str(CHILD), "serve"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self.log,
            text=True,
            cwd=ROOT,
            env=env,
        )
        self._ready = False

    def wait_ready(self) -> None:
        if not self._ready:
            self._answer()
            self._ready = True

    def _answer(self) -> dict[str, Any]:
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline()
        if not line:
            raise RuntimeError(f"the child server stopped; see {self.log.name}")
        answer: dict[str, Any] = json.loads(line)
        return answer

    def run(self, job: dict[str, Any]) -> tuple[dict[str, Any], list[dict[str, Any]]]:
        """Run one job in a forked child: (how it ended, its report lines)."""
        self.wait_ready()
        assert self.proc.stdin is not None
        Path(job["result"]).unlink(missing_ok=True)
        self.proc.stdin.write(json.dumps(job) + "\n")
        self.proc.stdin.flush()
        return self._answer(), read_report(job["result"])

    def close(self) -> None:
        if self.proc.stdin:
            self.proc.stdin.close()
        try:
            self.proc.wait(30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.log.close()


# -- trials ----------------------------------------------------------------------------------------
@dataclass
class Trial:
    number: int
    connector: str
    point: str
    nth: int
    briefs: list[dict[str, Any]]
    expected: dict[str, list[str]]  # product -> the action ids it proposes (all approved)

    @property
    def spec(self) -> str:
        return f"{self.point}:{self.nth}"


def plan(number: int, connector: str, point: str, rng: random.Random) -> Trial:
    """The trial's campaigns: several actions on one connector, so a kill can land on any."""

    def brief(tag: str, channels: list[str], **extra: Any) -> dict[str, Any]:
        return {
            "product": f"Brightloop 2 trial {number} {tag}",
            "audience": "homeowners with high heating bills",
            "goal": GOAL,
            "channels": channels,
            **extra,
        }

    briefs: list[dict[str, Any]]
    if connector == "smtp":
        contacts = [{"email": f"t{number}-c{i}@example.com", "name": f"Kim {i}"} for i in (1, 2, 3)]
        briefs = [{"brief": brief("mail", ["email"]), "audience": contacts}]
        expected = {briefs[0]["brief"]["product"]: ["email-1", "email-2", "email-3"]}
    elif connector in ("webhook", "mastodon"):
        briefs = [{"brief": brief("social", ["social"], engage=list(ENGAGE))}]
        expected = {briefs[0]["brief"]["product"]: ["post-1", "like-1", "follow-2"]}
    elif connector == "wordpress":
        briefs = [{"brief": brief(tag, ["cms"])} for tag in ("page a", "page b")]
        expected = {b["brief"]["product"]: ["page-1"] for b in briefs}
    else:
        briefs = [{"brief": brief(tag, ["ads"], ad_budget=50)} for tag in ("ads a", "ads b")]
        expected = {b["brief"]["product"]: ["ads-1"] for b in briefs}
    executions = sum(len(ids) for ids in expected.values())
    return Trial(number, connector, point, rng.randint(1, executions), briefs, expected)


def schedule(
    kills: int,
    seed: int,
    start: int = 0,
    connectors: tuple[str, ...] = CONNECTORS,
    points: tuple[str, ...] = POINTS,
) -> list[Trial]:
    """Trial i: connector i mod 5 and point i mod 4, so every 20 trials cover each pair once;
    the occurrence n (which of the trial's executions is hit) is random."""
    rng = random.Random(seed * 1_000_003 + start)
    return [
        plan(i, connectors[i % len(connectors)], points[i % len(points)], rng)
        for i in range(start, start + kills)
    ]


Settle = Callable[[bool], str]  # did the server get it? -> "mark_sent" | "send_again"


def as_a_person_would(server_got_it: bool) -> str:
    return "mark_sent" if server_got_it else "send_again"


@dataclass
class Figures:
    kills: int = 0
    points: Counter[str] = field(default_factory=Counter)
    trials: int = 0
    survived: int = 0  # the child was not killed (the point was not reached n times)
    actions: int = 0  # approved (or auto-run) actions expected to go out
    deliveries: int = 0  # effects at the server for those actions
    requests: int = 0  # requests / messages the server saw for them
    duplicates: int = 0
    lost: int = 0
    in_doubt: int = 0
    midway: int = 0  # kills between the claim and the record (after_claim, after_connector)
    windows: int = 0  # sends cut off between claim and record (outbox `sending` after the kill)
    surfaced: int = 0  # of those, shown as in-doubt after the restart
    mark_sent: int = 0
    send_again: int = 0
    unaudited: int = 0  # actions done whose execution has no entry in the audit log
    seconds: float = 0.0

    def add(self, other: Figures) -> None:
        for name in vars(self):
            value = getattr(other, name)
            if isinstance(value, Counter):
                getattr(self, name).update(value)
            else:
                setattr(self, name, getattr(self, name) + value)


@dataclass
class Result:
    by_connector: dict[str, Figures]
    problems: list[str]
    seconds: float
    workdir: Path
    takeovers: int = 0

    def total(self) -> Figures:
        total = Figures()
        for f in self.by_connector.values():
            total.add(f)
        return total

    @property
    def kills(self) -> int:
        return self.total().kills

    @property
    def duplicates_where_honoured(self) -> int:
        return sum(f.duplicates for c, f in self.by_connector.items() if HONOURS_KEY[c])

    @property
    def smtp(self) -> Figures:
        return self.by_connector["smtp"]

    @property
    def ok(self) -> bool:
        return not self.problems

    def table(self) -> str:
        """Per connector: kills (by point), approved actions, what the servers saw, the verdict.

        windows: sends left between claim and record by a kill (several when a fan-out was
        sending in parallel), as surfaced-in-doubt/windows; settled: mark_sent/send_again.
        """
        cols = [
            ("connector", 9), ("key", 3), ("kills", 5), *[(LABELS[p], 7) for p in POINTS],
            ("actions", 7), ("delivered", 9), ("requests", 8), ("dupes", 5), ("lost", 4),
            ("in-doubt", 8), ("windows", 7), ("settled", 7),
        ]  # fmt: skip
        lines = [" ".join(f"{name:<{w}}" if i == 0 else f"{name:>{w}}" for i, (name, w) in
                          enumerate(cols))]  # fmt: skip
        lines.append("-" * len(lines[0]))
        for name, f in [*self.by_connector.items(), ("total", self.total())]:
            cells = [
                name,
                "" if name == "total" else ("yes" if HONOURS_KEY[name] else "no"),
                f.kills,
                *[f.points[p] for p in POINTS],
                f.actions,
                f.deliveries,
                f.requests,
                f.duplicates,
                f.lost,
                f.in_doubt,
                f"{f.surfaced}/{f.windows}" if f.windows or name == "smtp" else "-",
                f"{f.mark_sent}/{f.send_again}" if f.in_doubt else "-",
            ]
            lines.append(
                " ".join(
                    f"{c!s:<{w}}" if i == 0 else f"{c!s:>{w}}"
                    for i, (c, (_, w)) in enumerate(zip(cells, cols, strict=True))
                )
            )
        return "\n".join(lines)

    def summary(self) -> str:
        total = self.total()
        return (
            f"faults: {total.kills} kills · {self.duplicates_where_honoured} duplicates where the "
            f"key is honoured · {total.lost} lost · SMTP crash windows surfaced as in-doubt: "
            f"{self.smtp.surfaced}/{self.smtp.windows}"
        )


class Harness:
    def __init__(
        self,
        servers: Counterparts,
        workdir: Path,
        policy: Path,
        settle: Settle = as_a_person_would,
        *,
        database: Callable[[], str] | None = None,
        workers: int = 0,
        lease_s: float = 2.0,
    ) -> None:
        self.servers = servers
        self.settle = settle
        self.workdir = workdir
        self.policy = policy
        self.by_connector = {c: Figures() for c in CONNECTORS}
        self.problems: list[str] = []
        self.expected_idents: dict[str, set[str]] = {c: set() for c in CONNECTORS}
        self._lock = threading.Lock()
        self.database = database  # a new PostgreSQL database URL per trial; None: SQLite
        self.workers = workers  # runs in this many worker processes (0: in the child)
        self.lease_s = lease_s
        self.takeovers = 0

    def env(self, trial: Trial, home: Path, crash: bool, url: str | None = None) -> dict[str, str]:
        env = {
            "SIGNOFF_HOME": str(home),
            "SIGNOFF_POLICY": str(self.policy),
            **self.servers.env(trial.connector),
        }
        if url:
            env["SIGNOFF_DATABASE_URL"] = url
            env["SIGNOFF_JOB_LEASE_S"] = str(self.lease_s)
        if crash:
            env["SIGNOFF_CRASH_AT"] = trial.spec
        return env

    def ident(self, connector: str, row: dict[str, Any]) -> str:
        """What the server counts one delivery by."""
        if connector == "smtp":
            return message_id(row["key"])
        if connector == "ads":
            return client_reference(row["key"])
        if connector == "wordpress":
            return str(row["args"]["slug"])
        return str(row["key"])

    def run_trial(self, lane: Lane, trial: Trial) -> bool:
        """One kill, restart, settle and count; returns whether the child was killed."""
        started = time.monotonic()
        home = self.workdir / f"trial-{trial.number:04d}"
        result = str(self.workdir / f"lane-{id(lane)}.jsonl")
        tag = f"trial {trial.number} ({trial.connector}, {trial.spec})"
        problems: list[str] = []
        fig = Figures(trials=1)
        url = self.database() if self.database else None
        if self.workers:
            return self._run_in_workers(lane, trial, home, result, tag, fig, url, started)

        ended, report = lane.run(
            {
                "op": "crash",
                "home": str(home),
                "env": self.env(trial, home, crash=True, url=url),
                "briefs": trial.briefs,
                "result": result,
            }
        )
        killed = self._kills(trial, fig, int(ended["signal"] == signal.SIGKILL))
        errors = [r["error"] for r in report if r["kind"] == "error"]
        if not killed and (ended["hung"] or errors or ended["returncode"]):
            problems.append(f"{tag}: the crashing child failed: {ended} {errors}")

        ended, report = lane.run(
            {
                "op": "recover",
                "home": str(home),
                "env": self.env(trial, home, crash=False, url=url),
                "result": result,
            }
        )
        before = next((r for r in report if r["kind"] == "before"), {"outbox": []})
        final = next((r for r in report if r["kind"] == "recovered"), None)
        if self._failed(trial, fig, f"{tag}: the restarted child", ended, report, final):
            return killed
        problems += [f"{tag}: on restart: {e}" for e in final["errors"]]
        self._count(lane, trial, home, result, tag, fig, url, started, killed, before, final,
                    problems)  # fmt: skip
        return killed

    def _run_in_workers(
        self,
        lane: Lane,
        trial: Trial,
        home: Path,
        result: str,
        tag: str,
        fig: Figures,
        url: str | None,
        started: float,
    ) -> bool:
        """The trial's runs in worker processes on one database; one of them is killed."""
        ended, report = lane.run(
            {
                "op": "workers",
                "home": str(home),
                "env": self.env(trial, home, crash=True, url=url),
                "briefs": trial.briefs,
                "workers": self.workers,
                "result": result,
                "timeout": 240,
            }
        )
        kills = [r for r in report if r["kind"] == "killed"]
        final = next((r for r in report if r["kind"] == "recovered"), None)
        killed = self._kills(trial, fig, len(kills))
        if self._failed(trial, fig, f"{tag}: the page child", ended, report, final):
            return killed
        problems = [f"{tag}: with workers: {e}" for e in final["errors"]]
        problems += [f"{tag}: a job failed: {e}" for e in final.get("failed_jobs", [])]
        with self._lock:
            self.takeovers += int(final.get("takeovers", 0))
        before = {"outbox": [row for k in kills for row in k["outbox"]]}
        self._count(lane, trial, home, result, tag, fig, url, started, killed, before, final,
                    problems)  # fmt: skip
        return killed

    @staticmethod
    def _kills(trial: Trial, fig: Figures, kills: int) -> bool:
        """Count a trial's kills (0: its child survived); whether there were any."""
        if kills:
            fig.kills, fig.points[trial.point] = kills, kills
            fig.midway = int(trial.point in MIDWAY)
        else:
            fig.survived = 1
        return kills > 0

    def _failed(
        self,
        trial: Trial,
        fig: Figures,
        child: str,
        ended: dict[str, Any],
        report: list[dict[str, Any]],
        final: dict[str, Any] | None,
    ) -> bool:
        """Whether the child that finishes the trial failed; if so the trial ends, saying so."""
        if ended["signal"] or ended["hung"] or ended["returncode"] or final is None:
            errors = [r.get("error") for r in report if r["kind"] == "error"]
            self._finish(trial, fig, [f"{child} failed: {ended} {errors}"])
            return True
        return False

    def _count(
        self,
        lane: Lane,
        trial: Trial,
        home: Path,
        result: str,
        tag: str,
        fig: Figures,
        url: str | None,
        started: float,
        killed: bool,
        before: dict[str, Any],
        final: dict[str, Any],
        problems: list[str],
    ) -> None:
        """In doubt, lost, settle as a person would, then every approved action exactly once."""

        window_keys = {
            r["key"] for r in before["outbox"] if r.get("window", r["status"] == "sending")
        }
        doubt_keys = {i["key"] for i in final["in_doubt"]}
        fig.in_doubt = len(doubt_keys)
        if trial.connector == "smtp":
            fig.windows = len(window_keys)
            fig.surfaced = len(window_keys & doubt_keys)
            if killed and trial.point in MIDWAY and not window_keys:
                problems.append(f"{tag}: killed mid-send but no send was left `sending`")
            if window_keys - doubt_keys:
                problems.append(
                    f"{tag}: {len(window_keys - doubt_keys)} SMTP send(s) cut off mid-way were "
                    "not surfaced as in doubt"
                )
        if doubt_keys - (window_keys if trial.connector == "smtp" else set()):
            problems.append(
                f"{tag}: {len(doubt_keys)} item(s) in doubt that no crash window explains "
                f"(connector {trial.connector}, key honoured: {HONOURS_KEY[trial.connector]})"
            )

        # Lost, before anyone settles: an approved action with neither a delivery nor an
        # in-doubt item.
        effects = self.servers.effects(trial.connector)
        rows = {(r["thread_id"], r["action_id"]): r for r in final["outbox"]}
        products = {c["product"]: c for c in final["campaigns"]}
        for product, ids in trial.expected.items():
            campaign = products.get(product)
            if campaign is None:
                continue  # the child died before starting it: nothing was approved
            for action_id in ids:
                row = rows.get((campaign["thread_id"], action_id))
                if row is None or (
                    row["key"] not in doubt_keys and not effects[self.ident(trial.connector, row)]
                ):
                    fig.lost += 1
                    problems.append(
                        f"{tag}: {action_id} of '{product}' lost: "
                        + ("never executed" if row is None else f"outbox {row['status']}, ")
                        + ("" if row is None else "no delivery at the server")
                        + f" (campaign {campaign['status']})"
                    )

        # Settle in-doubt items as a person would, from what the server shows.
        if doubt_keys:
            by_key = {r["key"]: r for r in final["outbox"]}
            choices = {
                key: self.settle(bool(effects[self.ident(trial.connector, by_key[key])]))
                for key in doubt_keys
            }
            fig.mark_sent = sum(c == "mark_sent" for c in choices.values())
            fig.send_again = len(choices) - fig.mark_sent
            ended, report = lane.run(
                {
                    "op": "settle",
                    "home": str(home),
                    "env": self.env(trial, home, crash=False, url=url),
                    "choices": choices,
                    "result": result,
                }
            )
            settled = next((r for r in report if r["kind"] == "after_settle"), None)
            if ended["signal"] or ended["returncode"] or settled is None:
                problems.append(f"{tag}: the settling child failed: {ended}")
            else:
                problems += [f"{tag}: {e}" for e in settled["errors"]]
                final = settled
                if final["in_doubt"]:
                    problems.append(f"{tag}: still in doubt after settling: {final['in_doubt']}")

        # After settling: every approved action exactly once at its server.
        effects = self.servers.effects(trial.connector)
        requests = self.servers.requests(trial.connector)
        rows = {(r["thread_id"], r["action_id"]): r for r in final["outbox"]}
        for product, ids in trial.expected.items():
            campaign = products.get(product)
            if campaign is None:
                continue
            for action_id in ids:
                row = rows.get((campaign["thread_id"], action_id))
                if row is None:
                    continue  # counted as lost above
                ident = self.ident(trial.connector, row)
                with self._lock:
                    self.expected_idents[trial.connector].add(ident)
                fig.actions += 1
                got = effects[ident]
                fig.deliveries += got
                fig.requests += requests[ident]
                if got > 1:
                    fig.duplicates += got - 1
                    problems.append(f"{tag}: {action_id} of '{product}' delivered {got} times")
                if row["status"] != "done" or got == 0:
                    if row["key"] in doubt_keys:  # not counted as lost before settling
                        fig.lost += 1
                    problems.append(
                        f"{tag}: {action_id} of '{product}' not delivered exactly once after "
                        f"settling (outbox {row['status']}, {got} at the server)"
                    )
        audited = set(final["audited"]["action.executed"]) | set(final["audited"]["action.settled"])
        unaudited = [
            r["action_id"]
            for r in rows.values()
            if r["status"] == "done" and r["key"] not in audited
        ]
        fig.unaudited = len(unaudited)
        if unaudited:
            problems.append(f"{tag}: done without an audit entry: {unaudited}")
        if not final["audit"]["ok"]:
            problems.append(f"{tag}: the audit chain is broken: {final['audit']['problem']}")
        if final["pending"]:
            problems.append(f"{tag}: still pending after the restart: {final['pending']}")
        if final["failed"]:
            problems.append(f"{tag}: failed actions: {final['failed']}")
        open_campaigns = [c for c in final["campaigns"] if c["status"] != "done"]
        if open_campaigns:
            problems.append(f"{tag}: campaigns not done after the restart: {open_campaigns}")
        fig.seconds = time.monotonic() - started
        self._finish(trial, fig, problems)
        if not problems:
            shutil.rmtree(home, ignore_errors=True)

    def _finish(self, trial: Trial, fig: Figures, problems: list[str]) -> None:
        with self._lock:
            self.by_connector[trial.connector].add(fig)
            self.problems += problems

    def strays(self) -> list[str]:
        """Deliveries at a server that belong to no approved action (e.g. a re-send with other
        content under another key): counted as duplicates."""
        found = []
        for connector in CONNECTORS:
            extra = set(self.servers.effects(connector)) - self.expected_idents[connector]
            if extra:
                count = sum(self.servers.effects(connector)[i] for i in extra)
                self.by_connector[connector].duplicates += count
                found.append(f"{connector}: {count} delivery(ies) for no approved action")
        return found


def run(
    kills: int = 200,
    seed: int = 1,
    *,
    lanes: int = 2,
    connectors: tuple[str, ...] = CONNECTORS,
    points: tuple[str, ...] = POINTS,
    settle: Settle = as_a_person_would,
    progress: Callable[[str], None] | None = None,
    workdir: Path | None = None,
    keep: bool = False,
    postgres: bool = False,
    database_url: str | None = None,
    workers: int = 0,
    lease_s: float = 2.0,
    budget_s: float | None = None,
) -> Result:
    """Kill at least `kills` children across the connectors and count; see the module doc.

    `postgres` (a throwaway cluster) or `database_url`: every trial on a new database in that
    PostgreSQL server; `workers` > 0: the trial's runs in that many worker processes (its
    kills hit a worker mid-run; the others take the run over after `lease_s`)."""
    say = progress or (lambda line: None)
    began = time.monotonic()
    stop_at = began + budget_s if budget_s else float("inf")  # no new trial after that
    own_dir = workdir is None
    workdir = Path(tempfile.mkdtemp(prefix="signoff-faults-")) if workdir is None else workdir
    workdir.mkdir(parents=True, exist_ok=True)
    policy = no_holds(workdir / "policy-no-holds.yaml")
    if (postgres or database_url) and workers < 1:
        raise ValueError(
            "On PostgreSQL the harness runs the trials' graph runs in workers: give workers >= 1 "
            "(--workers 2)."
        )
    with counterparts() as servers, ExitStack() as stack:
        database = None
        if postgres or database_url:
            from pg_schemas import schemas

            database = stack.enter_context(schemas(database_url))
        harness = Harness(
            servers, workdir, policy, settle, database=database, workers=workers, lease_s=lease_s
        )
        children = [Lane(workdir / f"lane-{i}.log") for i in range(max(1, lanes))]
        try:
            for lane in children:
                lane.wait_ready()
            killed = 0
            done = 0
            start = 0
            for _ in range(5):  # a trial whose child was not killed is made up for by another
                todo = schedule(kills - killed, seed, start, connectors, points)
                start += len(todo)
                queue = list(todo)
                lock = threading.Lock()

                def work(
                    lane: Lane, queue: list[Trial] = queue, lock: threading.Lock = lock
                ) -> None:
                    nonlocal killed, done
                    while True:
                        with lock:
                            if not queue or time.monotonic() > stop_at:
                                return
                            trial = queue.pop(0)
                        try:
                            was_killed = harness.run_trial(lane, trial)
                        except Exception as exc:  # a broken lane: report, stop this lane
                            with lock:
                                harness.problems.append(f"trial {trial.number}: harness: {exc!r}")
                            return
                        with lock:
                            killed += was_killed
                            done += 1
                            if done % 10 == 0:
                                say(_progress_line(harness, done, killed, began))

                workers = [threading.Thread(target=work, args=(lane,)) for lane in children]
                for w in workers:
                    w.start()
                for w in workers:
                    w.join()
                if killed >= kills or not todo or time.monotonic() > stop_at:
                    break
            harness.problems += harness.strays()
        finally:
            for lane in children:
                lane.close()
    result = Result(
        harness.by_connector,
        harness.problems,
        time.monotonic() - began,
        workdir,
        harness.takeovers,
    )
    smtp = result.smtp
    if smtp.windows != smtp.surfaced:
        result.problems.append(
            f"SMTP crash windows surfaced as in-doubt: {smtp.surfaced}/{smtp.windows}"
        )
    if result.kills < kills:
        result.problems.append(f"only {result.kills} of {kills} children were killed")
    if own_dir and not keep and result.ok:
        shutil.rmtree(workdir, ignore_errors=True)
    return result


def _progress_line(harness: Harness, done: int, killed: int, began: float) -> str:
    total = Figures()
    for f in harness.by_connector.values():
        total.add(f)
    elapsed = time.monotonic() - began
    return (
        f"[{done:>4} trials] {killed} kills · {total.duplicates} duplicates · {total.lost} lost · "
        f"in doubt {total.surfaced}/{total.windows} SMTP windows · {elapsed:.0f} s "
        f"· {len(harness.problems)} problem(s)"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.faults", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--kills", type=int, default=200, help="children to kill (default 200)")
    parser.add_argument("--seed", type=int, default=1, help="random seed (default 1)")
    parser.add_argument("--lanes", type=int, default=2, help="children running at once")
    parser.add_argument("--keep", action="store_true", help="keep the data directories")
    parser.add_argument(
        "--postgres",
        action="store_true",
        help="PostgreSQL: a throwaway local cluster, a new database per trial (needs --workers)",
    )
    parser.add_argument(
        "--database-url", help="PostgreSQL at this URL instead, a new database per trial"
    )
    parser.add_argument(
        "--workers",
        type=int,
        default=0,
        help="run each trial's graph runs in this many worker processes; the kill hits one "
        "mid-run (default 0: in the child, as before)",
    )
    parser.add_argument(
        "--lease", type=float, default=2.0, help="SIGNOFF_JOB_LEASE_S for the workers (2)"
    )
    parser.add_argument(
        "--budget",
        type=float,
        help="seconds: start no new trial after this; the figures are of what finished",
    )
    args = parser.parse_args(argv)
    on_pg = args.postgres or bool(args.database_url)
    if on_pg and args.workers < 1:
        parser.error("--postgres / --database-url run the trials in workers: add --workers 2")
    where = "PostgreSQL" if on_pg else "SQLite"
    how = f"{args.workers} worker(s) per trial, lease {args.lease:g} s" if args.workers else (
        "runs in the child")  # fmt: skip
    print(
        f"faults: {args.kills} kills over {', '.join(CONNECTORS)} at {', '.join(POINTS)}; "
        f"seed {args.seed}, {args.lanes} lane(s); {where}, {how}",
        file=sys.stderr,
        flush=True,
    )
    result = run(
        args.kills,
        args.seed,
        lanes=args.lanes,
        progress=lambda line: print(line, file=sys.stderr, flush=True),
        keep=args.keep,
        postgres=args.postgres,
        database_url=args.database_url,
        workers=args.workers,
        lease_s=args.lease,
        budget_s=args.budget,
    )
    print(result.table())
    print(
        "points: b.claim before the claim · a.claim after the claim · a.conn after the connector "
        "call · a.rec after recording.\nwindows: SMTP sends a kill left between claim and record "
        "(a kill at a.claim/a.conn leaves one; the\nparallel sends of a fan-out can add more), "
        "as surfaced in doubt/windows · settled: mark_sent/send_again."
    )
    total = result.total()
    print(
        f"trials {total.trials} · not killed {total.survived} · "
        f"done without an audit entry {total.unaudited} · "
        f"{total.seconds / max(1, total.trials):.2f} s per trial · {result.seconds:.0f} s in all"
    )
    if args.workers:
        print(
            f"{where}, {args.workers} workers per trial: {result.takeovers} run(s) taken over "
            f"by another worker after a kill (lease {args.lease:g} s)"
        )
    print(
        f"load average (1, 5, 15 min) at the end: {' '.join(f'{x:.2f}' for x in os.getloadavg())}"
    )
    for problem in result.problems[:50]:
        print(f"PROBLEM: {problem}")
    if len(result.problems) > 50:
        print(f"PROBLEM: … and {len(result.problems) - 50} more")
    if not result.ok:
        print(f"data directories kept in {result.workdir}")
    print(result.summary())
    return 0 if result.ok else 1


if __name__ == "__main__":
    sys.exit(main())
