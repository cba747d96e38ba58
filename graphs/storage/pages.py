"""Reads for the pages and the CLI that stay fast at 100,000 pending: one page at a time from the
inbox index, and counts from COUNT queries (never the length of a loaded list).

The inbox lists *entries*: a single review, or one batch (e.g. one email per contact of an
audience) shown as its oldest open item and its open count. Filters: campaign (thread), channel,
risk, action, and who can decide (`decider`). Every query here is served by a partial index over
open (undecided) rows (revision 3: `inbox.decided`, `action`, `channel`, `risk`; revision 10:
`amount`, all kept by triggers); counts come from `inbox_counts`, `inbox_batches` and, per batch
by kind, channel, risk and action, `inbox_batch_counts` (revision 11), counters the same
triggers keep in the transaction that writes the rows, so no count scans the index and a filtered
page never counts a batch's drafts (a 10,000-draft batch's matching drafts, counted on every
page, took a filtered page to 50–137 ms under load). A "who can decide" filter with thresholds
on amounts adds the rows only a threshold lets the person decide, counted in
`inbox_open_amount`.
`python -m bench.run --only p2 p2pg` times every page at 100,000 pending on both databases.
"""

from __future__ import annotations

import logging
from typing import Any

from graphs.authority import Decidable
from graphs.storage.base import Tables
from graphs.storage.inbox_rows import _inbox_row

log = logging.getLogger(__name__)

FILTERS = ("thread_id", "channel", "risk", "action")


def _where(
    kind: str | None,
    filters: dict[str, str | None],
    decider: Decidable | None = None,
) -> tuple[str, list[Any]]:
    unknown = set(filters) - set(FILTERS)
    if unknown:
        raise ValueError(f"Unknown inbox filters {sorted(unknown)}; expected some of {FILTERS}.")
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
    if action is not None:  # never NULL where a rule is negated: NOT (NULL = ?) is NULL
        clauses.append("action IS NOT NULL AND action = ?")
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
    `inbox_counts` can answer it): a rule that allows, and none before it that matches.

    Plain AND/OR/NOT, not a CASE: PostgreSQL estimates `CASE ... END = 1` at 0.5% of the rows
    and read a "who can decide" page's singles by a sequential scan and a sort (60 ms at 20,000
    pending) where 90% of them match."""
    params: list[Any] = []
    terms = []
    before: list[tuple[str, list[Any]]] = []
    for action, channel, allowed in decider.rules:
        match, more = _match(action, channel)
        if allowed:
            terms.append("(" + " AND ".join([*(f"NOT ({m})" for m, _ in before), match]) + ")")
            params += [p for _, ps in before for p in ps] + more
        before.append((match, more))
    return (f"({' OR '.join(terms)})" if terms else "(1 = 0)"), params


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


# A counter row's oldest open draft: one seek on `inbox_open_batch` (revision 11), ordered by
# that index's columns so that only it can serve the read (inside a correlated subquery
# PostgreSQL estimates one row per campaign and would take `inbox_thread`, reading the whole
# batch: 30 ms for a 10,000-draft batch). Counters keep a missing channel or risk as ''; such
# rows (none that Signoff writes) take a slower read.
_LEAD = (
    "CASE WHEN c.channel <> '' AND c.risk <> '' THEN (SELECT rowid FROM inbox WHERE "
    "decided = 0 AND batch IS NOT NULL AND thread_id = c.thread_id AND batch = c.batch AND "
    "kind = c.kind AND channel = c.channel AND risk = c.risk AND action = c.action "
    "ORDER BY thread_id, batch, kind, channel, risk, action, rowid LIMIT 1) ELSE "
    "(SELECT MIN(rowid) FROM inbox WHERE decided = 0 AND batch IS NOT NULL AND "
    "thread_id = c.thread_id AND batch = c.batch AND kind = c.kind AND "
    "COALESCE(channel, '') = c.channel AND COALESCE(risk, '') = c.risk AND action = c.action) END"
)


def _batch_groups(
    kind: str | None,
    filters: dict[str, str | None],
    decider: Decidable | None,
    *,
    leads: bool,
) -> tuple[str, list[Any]]:
    """Each open batch with matching drafts: (thread_id, batch, kind, open[, lead]) where `open`
    is how many of its undecided drafts match and `lead` the row number of the oldest.

    Read from the per-batch counters (`inbox_batch_counts`, revision 11), never by counting a
    batch's drafts; a "who can decide" filter's thresholds on amounts add the batch rows only a
    threshold lets the person decide, counted in `inbox_open_amount` (ad spends, not emails)."""
    cw, cp = _counter_where(kind, filters, decider)
    if filters.get("thread_id"):
        cw += " AND thread_id = ?"
        cp.append(filters["thread_id"])
    parts = [
        "SELECT c.thread_id, c.batch, c.kind, c.n"
        + (f", {_LEAD} AS lead" if leads else "")
        + f" FROM inbox_batch_counts c WHERE c.n > 0 AND {cw}"
    ]
    params = list(cp)
    if decider is not None and decider.above:
        # the campaign as an expression: its index would read every draft of its batches
        aw, ap = _above_only(kind, {**filters, "thread_id": None}, decider)
        if filters.get("thread_id"):
            aw += " AND thread_id || '' = ?"
            ap.append(filters["thread_id"])
        parts.append(
            "SELECT thread_id, batch, kind, COUNT(*) AS n"
            + (", MIN(rowid) AS lead" if leads else "")
            + f" FROM inbox WHERE {aw} AND batch IS NOT NULL AND amount IS NOT NULL"
            " GROUP BY thread_id, batch, kind"
        )
        params += ap
    sql = (
        "SELECT thread_id, batch, kind, SUM(n) AS open"
        + (", MIN(lead) AS lead" if leads else "")
        + f" FROM ({' UNION ALL '.join(parts)}) g GROUP BY thread_id, batch, kind"
    )
    return sql, params


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
        # each open batch with matching drafts, from its counters: one seek per counter row
        # for the lead (also unfiltered: PostgreSQL found a batch's lead through inbox_thread,
        # reading the whole batch, 28 ms for 10,000 drafts)
        groups, gparams = _batch_groups(kind, filters, decider, leads=True)
        leads = self.query(
            f"SELECT i.rowid AS n, i.*, g.open FROM ({groups}) g JOIN inbox i ON "
            "i.rowid = g.lead ORDER BY i.created_at, i.rowid LIMIT ?",
            (*gparams, want),
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
            groups, gparams = _batch_groups(kind, filters, decider, leads=False)
            batches = self.query(f"SELECT COUNT(*) AS n FROM ({groups}) g", tuple(gparams))[0]["n"]
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
        if filters.get("thread_id"):  # one campaign's singles, and its batches' counters
            where, params = _where(kind, filters, decider)
            groups, gparams = _batch_groups(kind, filters, decider, leads=False)
            rows = self.query(
                f"SELECT (SELECT COUNT(*) FROM inbox WHERE {where} AND batch IS NULL) AS singles,"
                f" (SELECT COALESCE(SUM(open), 0) FROM ({groups}) g) AS batched",
                (*params, *gparams),
            )
            return int(rows[0]["singles"]) + int(rows[0]["batched"])
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
        """The sidebar's figures: counters for the inbox, COUNT queries on indexes for the rest
        (`stopped`: campaigns whose run stopped, on the partial index of revision 12)."""
        rows = self.query(
            "SELECT (SELECT COALESCE(SUM(n), 0) FROM inbox_counts WHERE kind = 'review') AS pending,"
            " (SELECT COALESCE(SUM(n), 0) FROM inbox_counts WHERE kind = 'hold') AS holds,"
            " (SELECT COUNT(*) FROM notifications WHERE status = 'open') AS notifications,"
            " (SELECT COUNT(*) FROM outbox WHERE status = 'in_doubt') AS in_doubt,"
            " (SELECT COUNT(*) FROM outbox WHERE status = 'failed') AS failed,"
            " (SELECT COUNT(*) FROM campaigns WHERE status = 'error') AS stopped,"
            " EXISTS (SELECT 1 FROM campaigns) AS any_campaign"
        )
        return {k: int(rows[0][k]) for k in rows[0].keys()}  # noqa: SIM118 - sqlite3.Row
