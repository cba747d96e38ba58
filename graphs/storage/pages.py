"""Reads for the pages and the CLI that stay fast at 100,000 pending: one page at a time from the
inbox index, and counts from COUNT queries (never the length of a loaded list).

The inbox lists *entries*: a single review, or one batch (e.g. one email per contact of an
audience) shown as its oldest open item and its open count. Filters: campaign (thread), channel,
risk, action, and who can decide (`decider`). Every query here is served by a partial index over
open (undecided) rows (revision 3: `inbox.decided`, `action`, `channel`, `risk`; revision 10:
`amount`, all kept by triggers); counts come from `inbox_counts` and `inbox_batches`, counters the
same triggers keep, so no count scans the index. A "who can decide" filter with thresholds on
amounts adds the rows only a threshold lets the person decide, counted in `inbox_open_amount`.
`python -m bench.run --only p2 p2pg` times every page at 100,000 pending on both databases.
"""

from __future__ import annotations

import logging
from typing import Any

from graphs.authority import Decidable
from graphs.storage.base import Tables
from graphs.storage.inbox import _inbox_row

log = logging.getLogger(__name__)

FILTERS = ("thread_id", "channel", "risk", "action")


def _where(
    kind: str | None,
    filters: dict[str, str | None],
    decider: Decidable | None = None,
) -> tuple[str, list[Any]]:
    unknown = set(filters) - set(FILTERS)
    if unknown:
        raise ValueError(f"Unknown inbox filter(s) {sorted(unknown)}; expected some of {FILTERS}.")
    clauses, params = ["decided = 0"], []
    if kind:
        clauses.append("kind = ?")
        params.append(kind)
    for column in FILTERS:
        value = filters.get(column)
        if value:
            clauses.append(f"{column} = ?")
            params.append(value)
    if decider is not None:
        sql, more = _decider_clause(decider, amounts=True)
        clauses.append(sql)
        params += more
    return " AND ".join(clauses), params


def _match(action: str | None, channel: str | None) -> tuple[str, list[Any]]:
    clauses, params = ["1 = 1"], []
    if action is not None:
        clauses.append("action = ?")
        params.append(action)
    if channel is not None:
        clauses.append("COALESCE(channel, '') = ?")
        params.append(channel)
    return " AND ".join(clauses), params


def _decider_clause(decider: Decidable, *, amounts: bool) -> tuple[str, list[Any]]:
    """Items this person may decide (graphs/authority.py `Decidable`): the first matching
    approve rule allows them, or (with `amounts`, on `inbox` rows) an amount above a threshold
    that names one of their roles. Works on `inbox` and on `inbox_counts` alike."""
    sql, params = _rules_clause(decider)
    if amounts and decider.above:
        above, more = _above_clause(decider)
        sql, params = f"({sql} OR {above})", [*params, *more]
    return sql, params


def _rules_clause(decider: Decidable) -> tuple[str, list[Any]]:
    """What the first matching approve rule lets this person decide (action and channel only:
    `inbox_counts` can answer it)."""
    params: list[Any] = []
    cases = []
    for action, channel, allowed in decider.rules:
        match, more = _match(action, channel)
        cases.append(f"WHEN {match} THEN {1 if allowed else 0}")
        params += more
    return (f"((CASE {' '.join(cases)} ELSE 0 END) = 1)" if cases else "(1 = 0)"), params


def _above_clause(decider: Decidable) -> tuple[str, list[Any]]:
    """An `inbox` row whose amount (revision 10's column, set from the payload when it is a
    number) is above a threshold that names one of this person's roles."""
    clauses, params = [], []
    for action, channel, above in decider.above:
        match, more = _match(action, channel)
        clauses.append(f"({match} AND amount > ?)")
        params += [*more, above]
    return (f"({' OR '.join(clauses)})" if clauses else "(1 = 0)"), params


def _above_only(
    kind: str | None, filters: dict[str, str | None], decider: Decidable
) -> tuple[str, list[Any]]:
    """`inbox` rows this person may decide only by a threshold (no approve rule lets them): with
    the rules' count from the counters, the whole count; a range of `inbox_open_amount` each."""
    where, params = _where(kind, filters)
    rules, more = _rules_clause(decider)
    above, most = _above_clause(decider)
    return f"{where} AND NOT {rules} AND {above}", [*params, *more, *most]


def _counter_where(
    kind: str | None, filters: dict[str, str | None], decider: Decidable | None = None
) -> tuple[str, list[Any]]:
    """The same filters over `inbox_counts` (no campaign there: its rows are per kind, channel,
    risk and action; no amounts either: with a threshold in `decider`, count `inbox` rows)."""
    clauses, params = ["1 = 1"], []
    if decider is not None:
        sql, more = _decider_clause(decider, amounts=False)
        clauses.append(sql)
        params += more
    if kind:
        clauses.append("kind = ?")
        params.append(kind)
    for column in ("channel", "risk", "action"):
        value = filters.get(column)
        if value:
            clauses.append(f"{column} = ?")
            params.append(value)
    return " AND ".join(clauses), params


def _per_batch(
    kind: str | None, filters: dict[str, str | None], decider: Decidable | None
) -> tuple[str, list[Any], str, list[Any]]:
    """A batch's matching rows (`FROM inbox ...`, correlated with `inbox_batches b`) and the
    clause choosing the open batches. The campaign filter goes on `b`: inside, SQLite would
    read the campaign's rows through `inbox_thread` (270 ms for a 10,000-draft batch), not
    the batch's entries in `inbox_open_batch`."""
    where, params = _where(kind, {**filters, "thread_id": None}, decider)
    outer: list[str] = ["b.n > 0"]
    oparams: list[Any] = []
    if kind:
        outer.append("b.kind = ?")
        oparams.append(kind)
    if filters.get("thread_id"):
        outer.append("b.thread_id = ?")
        oparams.append(filters["thread_id"])
    per_batch = f"FROM inbox WHERE {where} AND thread_id = b.thread_id AND batch = b.batch"
    return per_batch, params, " AND ".join(outer), oparams


class PageReads(Tables):
    """Paged inbox entries, batch members by id, and the counts the sidebar shows."""

    def inbox_page(
        self,
        *,
        kind: str | None = "review",
        limit: int = 50,
        offset: int = 0,
        decider: Decidable | None = None,
        **filters: str | None,
    ) -> list[dict[str, Any]]:
        """Entries oldest first: singles, and each batch once (its oldest open item, with
        `open` = how many of the batch are still undecided under these filters); `decider`:
        only what one person may decide."""
        where, params = _where(kind, filters, decider)
        want = offset + limit
        singles = self.query(
            f"SELECT rowid AS n, * FROM inbox WHERE {where} AND batch IS NULL "
            "ORDER BY created_at, rowid LIMIT ?",
            (*params, want),
        )
        if any(filters.values()) or decider is not None:  # each open batch, its matching rows
            per_batch, bparams, outer, oparams = _per_batch(kind, filters, decider)
            # MIN(+rowid), not MIN(rowid): SQLite would walk the campaign's rows in rowid order
            # (inbox_thread), reading each, to the first match (75 ms for a 10,000-draft batch
            # with none); +rowid makes it take the batch's matching entries in inbox_open_batch
            leads = self.query(
                f"SELECT i.rowid AS n, i.*, (SELECT COUNT(*) {per_batch}) AS open "
                f"FROM inbox_batches b JOIN inbox i ON i.rowid = (SELECT MIN(+rowid) {per_batch}) "
                f"WHERE {outer} ORDER BY i.created_at, i.rowid LIMIT ?",
                (*bparams, *bparams, *oparams, want),
            )
        else:  # the open batches are counted already: one index seek per batch for its lead
            leads = self.query(
                "SELECT i.rowid AS n, i.*, b.n AS open FROM inbox_batches b JOIN inbox i ON "
                "i.rowid = (SELECT MIN(rowid) FROM inbox WHERE decided = 0 AND kind = b.kind AND "
                "thread_id = b.thread_id AND batch = b.batch) WHERE b.n > 0"
                + (" AND b.kind = ?" if kind else "")
                + " ORDER BY i.created_at, i.rowid LIMIT ?",
                (*([kind] if kind else []), want),
            )
        merged = sorted(
            [(r["created_at"], r["n"], r, 1) for r in singles]
            + [(r["created_at"], r["n"], r, int(r["open"])) for r in leads],
            key=lambda t: (t[0], t[1]),
        )[offset:want]
        return [{**_inbox_row(r), "open": n_open} for _, _, r, n_open in merged]

    def inbox_items(
        self,
        *,
        kind: str | None = "review",
        limit: int = 50,
        offset: int = 0,
        decider: Decidable | None = None,
        **filters: str | None,
    ) -> list[dict[str, Any]]:
        """Undecided items one by one (a batch's contacts each), oldest first: the CLI's pages."""
        where, params = _where(kind, filters, decider)
        rows = self.query(
            f"SELECT * FROM inbox WHERE {where} ORDER BY created_at, rowid LIMIT ? OFFSET ?",
            (*params, limit, offset),
        )
        return [_inbox_row(r) for r in rows]

    def inbox_entries(
        self,
        *,
        kind: str | None = "review",
        decider: Decidable | None = None,
        **filters: str | None,
    ) -> int:
        """How many entries `inbox_page` pages through (singles + open batches)."""
        where, params = _where(kind, filters, decider)
        if filters.get("thread_id"):  # one campaign's rows: a short range of its index
            singles = self.query(
                f"SELECT COUNT(*) AS n FROM inbox WHERE {where} AND batch IS NULL", tuple(params)
            )[0]["n"]
        else:
            cw, cp = _counter_where(kind, filters, decider)
            singles = self.query(
                f"SELECT COALESCE(SUM(n), 0) AS n FROM inbox_counts WHERE {cw} AND batched = 0",
                tuple(cp),
            )[0]["n"]
            if decider is not None and decider.above:
                aw, ap = _above_only(kind, filters, decider)
                singles += self.query(
                    f"SELECT COUNT(*) AS n FROM inbox WHERE {aw} AND batch IS NULL", tuple(ap)
                )[0]["n"]
        if any(filters.values()) or decider is not None:
            per_batch, bparams, outer, oparams = _per_batch(kind, filters, decider)
            batches = self.query(
                f"SELECT COUNT(*) AS n FROM inbox_batches b WHERE {outer} AND EXISTS "
                f"(SELECT 1 {per_batch})",
                (*oparams, *bparams),
            )[0]["n"]
        else:
            batches = self.query(
                "SELECT COUNT(*) AS n FROM inbox_batches WHERE n > 0"
                + (" AND kind = ?" if kind else ""),
                (kind,) if kind else (),
            )[0]["n"]
        return int(singles) + int(batches)

    def inbox_count(
        self,
        *,
        kind: str | None = "review",
        decider: Decidable | None = None,
        **filters: str | None,
    ) -> int:
        """How many undecided items (each contact of a batch counts) match."""
        if filters.get("thread_id"):  # one campaign's rows: a short range of its index
            where, params = _where(kind, filters, decider)
            return int(
                self.query(f"SELECT COUNT(*) AS n FROM inbox WHERE {where}", tuple(params))[0]["n"]
            )
        cw, args = _counter_where(kind, filters, decider)
        n = self.query(f"SELECT COALESCE(SUM(n), 0) AS n FROM inbox_counts WHERE {cw}", tuple(args))
        total = int(n[0]["n"])
        if decider is not None and decider.above:  # and those only a threshold lets them decide
            aw, ap = _above_only(kind, filters, decider)
            total += int(
                self.query(f"SELECT COUNT(*) AS n FROM inbox WHERE {aw}", tuple(ap))[0]["n"]
            )
        return total

    def batch_members(
        self, thread_id: str, batch: str, *, limit: int | None = None, offset: int = 0
    ) -> list[dict[str, Any]]:
        """Open items of one batch, oldest first, a slice at a time."""
        rows = self.query(
            "SELECT * FROM inbox WHERE decided = 0 AND kind = 'review' AND thread_id = ? AND "
            "batch = ? ORDER BY rowid LIMIT ? OFFSET ?",
            (thread_id, batch, 2**62 if limit is None else limit, offset),
        )
        return [_inbox_row(r) for r in rows]

    def batch_member_ids(self, thread_id: str, batch: str) -> list[str]:
        """The ids of a batch's open items (ids only: no payload is parsed)."""
        rows = self.query(
            "SELECT interrupt_id FROM inbox WHERE decided = 0 AND kind = 'review' AND "
            "thread_id = ? AND batch = ? ORDER BY rowid",
            (thread_id, batch),
        )
        return [r["interrupt_id"] for r in rows]

    def batch_needing_check(self, thread_id: str, batch: str) -> int:
        """Open items of a batch whose approval needs `checked` (unsupported claims)."""
        if self.dialect == "postgresql":  # the same test in jsonb
            rows = self.query(
                "SELECT COUNT(*) AS n FROM inbox WHERE decided = 0 AND kind = 'review' AND "
                "thread_id = ? AND batch = ? AND ((payload::jsonb -> 'needs_check') IN "
                "('1', 'true') OR jsonb_array_length(COALESCE(payload::jsonb -> "
                "'unsupported_claims', '[]')) > 0 OR jsonb_path_exists(payload::jsonb, "
                "'$.claim_checks[*] ? (@.supported == false || @.supported == 0)'))",
                (thread_id, batch),
            )
            return int(rows[0]["n"])
        rows = self.query(
            "SELECT COUNT(*) AS n FROM inbox WHERE decided = 0 AND kind = 'review' AND "
            "thread_id = ? AND batch = ? AND (json_extract(payload, '$.needs_check') = 1 OR "
            "json_array_length(payload, '$.unsupported_claims') > 0 OR EXISTS (SELECT 1 FROM "
            "json_each(payload, '$.claim_checks') WHERE json_extract(value, '$.supported') = 0))",
            (thread_id, batch),
        )
        return int(rows[0]["n"])

    def reminded_among(self, interrupt_ids: list[str]) -> set[str]:
        if not interrupt_ids:
            return set()
        marks = ",".join("?" * len(interrupt_ids))
        rows = self.query(
            f"SELECT interrupt_id FROM reminders WHERE interrupt_id IN ({marks})",
            tuple(interrupt_ids),
        )
        return {r["interrupt_id"] for r in rows}

    def products(self, thread_ids: list[str]) -> dict[str, str]:
        """Each campaign's product name, for the threads on one page."""
        if not thread_ids:
            return {}
        marks = ",".join("?" * len(thread_ids))
        rows = self.query(
            "SELECT thread_id, json_extract(brief, '$.product') AS product FROM campaigns "
            f"WHERE thread_id IN ({marks})",
            tuple(thread_ids),
        )
        return {r["thread_id"]: r["product"] or "Campaign" for r in rows}

    def counts(self) -> dict[str, int]:
        """The sidebar's figures: counters for the inbox, COUNT queries on indexes for the rest."""
        rows = self.query(
            "SELECT (SELECT COALESCE(SUM(n), 0) FROM inbox_counts WHERE kind = 'review') AS pending,"
            " (SELECT COALESCE(SUM(n), 0) FROM inbox_counts WHERE kind = 'hold') AS holds,"
            " (SELECT COUNT(*) FROM notifications WHERE status = 'open') AS notifications,"
            " (SELECT COUNT(*) FROM outbox WHERE status = 'in_doubt') AS in_doubt,"
            " (SELECT COUNT(*) FROM outbox WHERE status = 'failed') AS failed,"
            " EXISTS (SELECT 1 FROM campaigns) AS any_campaign"
        )
        return {k: int(rows[0][k]) for k in rows[0].keys()}  # noqa: SIM118 - sqlite3.Row
