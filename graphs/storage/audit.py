"""The audit log: append-only, each entry chained to the previous one by a keyed MAC whose key
and anchor live outside the database (graphs/audit_chain.py)."""

from __future__ import annotations

import json
import logging
from typing import Any

from graphs.audit_chain import plain_hash
from graphs.storage.base import Tables, now_iso
from graphs.storage.guesses import checked, missed

log = logging.getLogger(__name__)

# An entry's detail as stored and hashed: `json.dumps(detail, default=str, sort_keys=True)`'s
# text, from one encoder made once instead of one per entry
DETAIL = json.JSONEncoder(default=str, sort_keys=True)


class AuditTables(Tables):
    """Append-only audit entries; `_append_audit` joins the caller's transaction."""

    def audit(
        self,
        event: str,
        detail: dict[str, Any],
        *,
        thread_id: str | None = None,
        actor: str = "signoff",
    ) -> int:
        """Append one entry; returns its sequence number."""
        with self.tx() as c:
            self._append_audit(c, event, detail, thread_id=thread_id, actor=actor)
            ours = len(self._heads) - 1
            heads = self._heads
        return heads[ours][0]  # as committed (a guessed head taken again changes it)

    def _append_audit(
        self,
        c: Any,
        event: str,
        detail: dict[str, Any],
        *,
        thread_id: str | None = None,
        actor: str = "signoff",
    ) -> int:
        """Append inside the caller's transaction, so a state change and its entry commit
        together (a crash between them would leave an unaudited change).

        On PostgreSQL a locked transaction does not read the chain's head when this connection
        knows it (`_audit_head`, what it last read or committed): its entries chain on that
        guess and are sent at its end, just before the COMMIT, behind a savepoint, the first
        one with a guard (`GUESSED`) that makes its INSERT fail unless the head is still the
        guessed one. When another writer appended since, the transaction's own statements
        stand, the entries are rolled back to the savepoint, chained on the head read then
        (under the write lock still held) and sent again (graphs/storage/database.py
        `transaction`). No round trip waits for the head in the usual case; the returned
        number is the guess's (`audit()` returns the committed one). After a miss (other
        processes are writing) the connection reads the head instead, until a read finds it
        where this connection left it (`_guess_head`): a miss costs two waits more than the
        read it would have saved."""
        guessing = self._guessed is not None and self._in_tx  # `tx()` says so
        if self._heads and self._in_tx and self._tx_serial:
            # a second entry of this transaction: the head is the entry it just wrote (the
            # write lock keeps every other writer out until it commits), no read
            seq, prev = self._heads[-1][0] + 1, self._heads[-1][1]
        elif guessing and self._audit_head is not None:
            seq, prev = self._audit_head[0] + 1, self._audit_head[1]
        else:
            last = c.execute(HEAD).fetchone()
            seq = (last["seq"] if last else 0) + 1
            prev = (last["hash"] or "") if last else ""
            # a guess would have hit: nobody else wrote since this connection did (guess again)
            self._guess_head = self._guess_head or self._audit_head == (seq - 1, prev)
            self._audit_head = (seq - 1, prev)
        at = now_iso()
        body = DETAIL.encode(detail)
        fields = [seq, at, thread_id, actor, event, body, self.policy_version, prev]
        digest = self.chain.mac(*fields)
        self._heads.append((seq, digest, at))
        if self._guessed is not None and guessing:
            self._guessed.append([*fields, digest])  # sent at the transaction's end
            return seq
        c.execute(self._insert_sql(), (*fields, digest))
        return seq

    def _insert_sql(self, rows: int = 1, *, guarded: bool = False) -> str:
        """The INSERT of `rows` entries (one statement); `guarded`: the first one's `seq` is
        `GUESSED` (its parameters: the guessed head's seq, then its own)."""
        # on PostgreSQL the identity sequence keeps the highest number ever given, as
        # sqlite_sequence does on SQLite (a tail cut off is told from one never written)
        top = (
            " RETURNING setval(pg_get_serial_sequence('audit', 'seq'), seq)"
            if self.dialect == "postgresql"
            else ""
        )
        row = "(?, ?, ?, ?, ?, ?, ?, ?, ?)"
        first = "(" + GUESSED + row[2:] if guarded else row
        return INSERT + " VALUES " + ", ".join([first] + [row] * (rows - 1)) + top

    # -- the guessed head's entries: the `tail` of graphs/storage/database.py `transaction`
    def guessed_writes(self) -> list[tuple[str, tuple[Any, ...]]]:
        """The statement of the entries chained on the guessed head, one INSERT whose first
        row is guarded (it fails the transaction unless the chain's head is the guessed one)."""
        if not self._guessed:
            return []
        sql = self._insert_sql(len(self._guessed), guarded=True)
        return [(sql, (self._guessed[0][0] - 1, *(v for entry in self._guessed for v in entry)))]

    def guess_missed(self, exc: BaseException) -> bool:
        """Whether `exc` is the guard of `guessed_writes` finding another head (not another
        error, nor another guess's guard)."""
        return bool(self._guessed) and missed(exc, "audit head")

    def guessed_again(self, c: Any) -> list[tuple[str, tuple[Any, ...]]]:
        """The guessed entries chained on the head as read now (the write lock still held),
        their heads and this connection's guess replaced."""
        last = c.execute(HEAD).fetchone()
        seq, prev = (last["seq"], last["hash"] or "") if last else (0, "")
        log.info("audit head moved to #%d since this connection's last entry; chained again", seq)
        self._guess_head = False  # read the head until it is found where this connection left it
        entries = self._guessed or []
        heads = []
        for entry in entries:
            seq += 1
            entry[0], entry[7] = seq, prev
            digest = self.chain.mac(*entry[:8])
            entry[8] = prev = digest
            heads.append((seq, digest, entry[1]))
        self._heads[:] = heads
        return [(self._insert_sql(len(entries)), tuple(v for entry in entries for v in entry))]

    def audit_log(
        self,
        thread_id: str | None = None,
        limit: int = 500,
        *,
        event: str | None = None,
        actor: str | None = None,
        oldest_first: bool = False,
    ) -> list[dict[str, Any]]:
        clauses, params = [], []
        for column, value in (("thread_id", thread_id), ("actor", actor)):
            if value:
                clauses.append(f"{column} = ?")
                params.append(value)
        if event:
            clauses.append("(event = ? OR event LIKE ?)")
            params += [event, event.rstrip(".*") + ".%"]
        sql = "SELECT * FROM audit" + (" WHERE " + " AND ".join(clauses) if clauses else "")
        order = "ASC" if oldest_first else "DESC"
        rows = self.query(sql + f" ORDER BY seq {order} LIMIT ?", (*params, limit))
        return [
            {
                "seq": r["seq"],
                "at": r["at"],
                "thread_id": r["thread_id"],
                "actor": r["actor"],
                "event": r["event"],
                "detail": json.loads(r["detail"]),
                "policy_version": r["policy_version"],
                "hash": r["hash"],
            }
            for r in rows
        ]

    def verify_audit(self) -> dict[str, Any]:
        """Walk the chain against the audit key and the anchor (graphs/audit_chain.py); name the
        first entry that was altered, removed, re-hashed or cut from the end."""
        rows = self.query("SELECT * FROM audit ORDER BY seq")
        if self.dialect == "postgresql":
            top = self.query(
                "SELECT pg_sequence_last_value(pg_get_serial_sequence('audit', 'seq')::regclass)"
                " AS seq"
            )
            top = [r for r in top if r["seq"] is not None]
        else:
            top = self.query("SELECT seq FROM sqlite_sequence WHERE name = 'audit'")
        return self.chain.verify(rows, int(top[0]["seq"]) if top else 0)

    def _begin_chain(self) -> None:
        """The first time this database meets the key: the keyed chain starts after what is
        there (older entries keep their plain SHA-256 chain, and the genesis commits to it)."""
        if self.chain.genesis() is not None:
            return
        with self.tx() as c:
            last = c.execute("SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1").fetchone()
            next_seq = (last["seq"] if last else 0) + 1
            if self.chain.begin(next_seq, (last["hash"] or "") if last else ""):
                if last is not None:
                    log.warning(
                        "audit entries #1–#%d predate the audit key; they stay on their plain "
                        "chain, and the keyed chain commits to the last of them",
                        last["seq"],
                    )


HEAD = "SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1"
INSERT = (
    "INSERT INTO audit (seq, at, thread_id, actor, event, detail, policy_version, prev_hash, hash)"
)
# the first guessed entry's seq: its own when the chain's head is the guessed one (the entry
# before it), else the transaction fails (graphs/storage/guesses.py); parameters: that head, seq
GUESSED = (
    "(SELECT "
    + checked("COALESCE(MAX(seq), 0) = ?", "audit head", "CAST(? AS TEXT)")
    + " FROM audit)"
)


def audit_hash(
    seq: int,
    at: str,
    thread_id: str | None,
    actor: str,
    event: str,
    detail: str,
    policy_version: str | None,
    prev_hash: str,
) -> str:
    """The unkeyed SHA-256 of an entry (the chain before the audit key existed)."""
    return plain_hash(seq, at, thread_id, actor, event, detail, policy_version, prev_hash)


def database_file(conn: Any) -> str:
    """The SQLite file (or, on PostgreSQL, the home's `signoff.db` path the audit key and
    anchor are placed beside)."""
    if getattr(conn, "chain_path", None) is not None:
        return str(conn.chain_path)
    row = conn.execute("PRAGMA database_list").fetchone()
    if not row or not row[2]:
        raise ValueError("the audit chain needs a database file, not an in-memory database")
    return str(row[2])
