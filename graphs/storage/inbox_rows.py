"""The inbox's rows as written and read: the INSERT with its filter columns, a row read back as
an item, and one thread's rows put in place inside a caller's transaction (graphs/storage/inbox.py
`InboxTables` is the table group that uses them; batches.py and record.py write rows too)."""

from __future__ import annotations

import json
import sqlite3
from typing import Any

from graphs.storage.base import now_iso

# An inbox row with its filter columns (revision 14): interrupt_id, thread_id, action_id,
# payload, created_at, kind, due, batch, then `inbox_columns(payload)` (or `NO_COLUMNS`), then
# the interrupt id again (decided: whether a decision on it is recorded already)
INSERT_ROW = (
    "INSERT INTO inbox (interrupt_id, thread_id, action_id, payload, created_at, kind, due,"
    " batch, action, channel, risk, amount, decided) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?,"
    " (SELECT COUNT(*) FROM decisions WHERE interrupt_id = ?))"
)
NO_COLUMNS = (None, None, None, None)  # the database's trigger fills them (action NULL)


def inbox_columns(
    payload: Any, args: Any = None
) -> tuple[str, str | None, str | None, float | int | None] | None:
    """An inbox row's filter columns (action, channel, risk, amount), the values revision 10's
    trigger reads from its payload (`json_extract` of `$.action.name`, `$.channel`, `$.risk`,
    and `$.action.args.amount` when it is a number): given with the row's INSERT, so the row
    is written once (revision 14). None when one is not a plain value (a name that is no
    string, say): the row goes in without them and the trigger fills them, as before. `args`:
    the action's arguments when the payload's are not the row's (an audience's contacts)."""
    action = payload.get("action")
    name = action.get("name") if isinstance(action, dict) else None
    channel, risk = payload.get("channel"), payload.get("risk")
    if not isinstance(name, str) or not all(
        v is None or isinstance(v, str) for v in (channel, risk)
    ):
        return None
    if args is None:
        args = action.get("args")
    amount = args.get("amount") if isinstance(args, dict) else None
    if isinstance(amount, bool) or not isinstance(amount, int | float):
        amount = None
    return name, channel, risk, amount


def _inbox_sql(
    thread_id: str | None, kind: str | None, reminders: bool
) -> tuple[str, tuple[Any, ...]]:
    """The SELECT of `InboxTables.inbox` and its parameters."""
    sql = (
        "SELECT i.*"
        + (", r.interrupt_id AS reminder" if reminders else "")
        + " FROM inbox i LEFT JOIN decisions d USING (interrupt_id) "
        + ("LEFT JOIN reminders r ON r.interrupt_id = i.interrupt_id " if reminders else "")
        + "WHERE d.interrupt_id IS NULL"
    )
    params: list[Any] = []
    if thread_id:
        sql += " AND i.thread_id = ?"
        params.append(thread_id)
    if kind:
        sql += " AND i.kind = ?"
        params.append(kind)
    return sql + " ORDER BY i.created_at, i.rowid", tuple(params)


def _inbox_rows(rows: list[Any], reminders: bool) -> list[dict[str, Any]]:
    if reminders:
        return [{**_inbox_row(r), "reminded": r["reminder"] is not None} for r in rows]
    return [_inbox_row(r) for r in rows]


def _inbox_row(r: sqlite3.Row) -> dict[str, Any]:
    return {
        "interrupt_id": r["interrupt_id"],
        "thread_id": r["thread_id"],
        "action_id": r["action_id"],
        "payload": json.loads(r["payload"]),
        "created_at": r["created_at"],
        "kind": r["kind"],
        "due": r["due"],
        "batch": r["batch"],
    }


def _put_inbox(
    c: Any,
    thread_id: str,
    items: list[dict[str, Any]],
    *,
    replace: str,
    known: set[str] | None = None,
    written: list[tuple[Any, ...]] | None = None,
) -> list[str]:
    """Write one thread's rows inside the caller's transaction; the ids that are new.

    `replace`: "all" rewrites every row of the thread; "sync" deletes the rows not in `items`
    and adds the new ones; "add" only adds the new ones. `known` ("sync" or "add"): the ids
    of the thread's rows of no batch, as the caller's guard (`KNOWN`) holds them to be:
    not read."""
    # an audience batch's rows (batch set) are kept by graphs/runtime/batches.py
    if not items and replace != "add":  # none pending: every row goes, none to read first
        c.execute("DELETE FROM inbox WHERE thread_id = ? AND batch IS NULL", (thread_id,))
        return []
    if known is not None and replace != "all":  # a kept row is never rewritten: ids suffice
        old: dict[str, tuple[Any, Any]] = dict.fromkeys(known, (None, None))
    else:
        old = {
            r["interrupt_id"]: (r["created_at"], r["due"])
            for r in c.execute(
                "SELECT interrupt_id, created_at, due FROM inbox WHERE thread_id = ?"
                " AND batch IS NULL",
                (thread_id,),
            )
        }
    wanted = {i["interrupt_id"] for i in items}
    if replace == "all":
        c.execute("DELETE FROM inbox WHERE thread_id = ? AND batch IS NULL", (thread_id,))
    elif replace == "sync":
        gone = [(thread_id, iid) for iid in old if iid not in wanted]
        if gone:
            c.executemany("DELETE FROM inbox WHERE thread_id = ? AND interrupt_id = ?", gone)
    rows = []
    for item in items:
        if replace != "all" and item["interrupt_id"] in old:
            continue  # the row that is there stays as it is
        created, due = old.get(item["interrupt_id"], (now_iso(), item.get("due")))
        kind = item.get("kind", "review")
        rows.append(
            (
                item["interrupt_id"],
                thread_id,
                item["action_id"],
                json.dumps(item["payload"]),
                created,
                kind,
                due if kind == "review" else item.get("due"),
                item.get("batch"),
                *(inbox_columns(item["payload"]) or NO_COLUMNS),
                item["interrupt_id"],
            )
        )
    if rows:
        c.executemany(INSERT_ROW, rows)
        if written is not None:
            written += rows
    return [i["interrupt_id"] for i in items if i["interrupt_id"] not in old]
