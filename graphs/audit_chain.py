"""The audit chain's key and anchor: a record no one can quietly rewrite (DESIGN.md §5b).

Each audit entry's `hash` is an HMAC-SHA256 over the entry and the previous entry's hash, keyed
with a secret that lives outside the database:

- `SIGNOFF_AUDIT_KEY` (a secret in the environment, at least 16 characters), else
- the key file `SIGNOFF_AUDIT_KEY_FILE`, else `<home's parent>/.signoff-config/audit.key`,
  created on first run with owner-only permissions (0600; a file readable by others is refused).

Each new head (sequence number + hash) is appended, signed with the same key, to an append-only
anchor file outside the database (`SIGNOFF_AUDIT_ANCHOR`, default
`<home's parent>/.signoff-config/<home>-<id>.anchor.jsonl`) and, when `SIGNOFF_AUDIT_ANCHOR_URL`
is set, POSTed to that webhook. So a person who can write the database file (drop the triggers,
change or delete rows, recompute every hash with plain SHA-256, cut the tail, reset
`sqlite_sequence`) cannot make `signoff audit --verify` pass: the MAC needs the key, and the anchor
still holds the heads that were there.

Existing databases: the first time a database is opened with a key, the anchor's first line (the
genesis) records where the keyed chain begins (`keyed_from`) and the hash of the last entry before
it. Entries before that were chained with plain SHA-256 (or not at all, before the chain existed)
and are checked as such; they are protected from then on, because the first keyed entry and the
genesis both commit to the last of them. Entries from `keyed_from` on must carry a valid MAC.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import hmac
import json
import logging
import os
import secrets
import stat
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from json.encoder import encode_basestring_ascii as _quote  # json.dumps's escaper
from pathlib import Path
from typing import Any

from graphs.errors import InvalidInput

log = logging.getLogger(__name__)

CONFIG_DIR = ".signoff-config"


def canonical(
    seq: int,
    at: str,
    thread_id: str | None,
    actor: str,
    event: str,
    detail: str,
    policy_version: str | None,
    prev_hash: str,
) -> bytes:
    """The bytes an entry's hash covers: the compact JSON array of its fields.

    Built by hand from the C string escaper `json.dumps` uses, so the bytes are the ones
    `json.dumps([...], separators=(",", ":"))` gives (every entry written since the chain
    began was hashed over those), without `json.dumps`'s per-call encoder; any other field
    type takes `json.dumps` itself."""
    if (
        type(seq) is int
        and type(at) is str
        and type(actor) is str
        and type(event) is str
        and type(detail) is str
        and type(prev_hash) is str
        and (thread_id is None or type(thread_id) is str)
        and (policy_version is None or type(policy_version) is str)
    ):
        return (
            f"[{seq},{_quote(at)},{_quote_or_null(thread_id)},{_quote(actor)},"
            f"{_quote(event)},{_quote(detail)},{_quote_or_null(policy_version)},"
            f"{_quote(prev_hash)}]"
        ).encode()
    return json.dumps(
        [seq, at, thread_id, actor, event, detail, policy_version, prev_hash],
        separators=(",", ":"),
    ).encode()


def _quote_or_null(text: str | None) -> str:
    return "null" if text is None else _quote(text)


def plain_hash(*fields: Any) -> str:
    """The unkeyed SHA-256 chain of entries written before the key existed."""
    return hashlib.sha256(canonical(*fields)).hexdigest()


def config_dir(db_path: Path) -> Path:
    """`<home's parent>/.signoff-config`: beside the data directory, never inside it."""
    return db_path.resolve().parent.parent / CONFIG_DIR


def load_key(db_path: Path) -> bytes:
    """The audit key: the environment's secret, or the key file (created 0600 on first run)."""
    secret = os.environ.get("SIGNOFF_AUDIT_KEY")
    if secret is not None:
        if len(secret) < 16:
            raise InvalidInput(
                f"SIGNOFF_AUDIT_KEY is {len(secret)} characters long; expected a secret of at "
                "least 16 characters (e.g. `python -c 'import secrets; print(secrets.token_hex())'`)."
                " Set a longer one or unset it to use a key file."
            )
        return secret.encode()
    path = Path(
        os.environ.get("SIGNOFF_AUDIT_KEY_FILE") or config_dir(db_path) / "audit.key"
    ).expanduser()
    if not path.exists():
        _create_key(path)
    mode = stat.S_IMODE(path.stat().st_mode)
    if mode & 0o077:
        raise InvalidInput(
            f"The audit key file {path} can be read by others (permissions {mode:o}); expected "
            f"owner-only (600). Run `chmod 600 {path}` and start again."
        )
    key = path.read_text(encoding="utf-8").strip()
    if len(key) < 16:
        raise InvalidInput(
            f"The audit key file {path} holds {len(key)} characters; expected a secret of at "
            "least 16. Delete it only if the audit log is empty; a new key cannot verify old entries."
        )
    return key.encode()


def _create_key(path: Path) -> None:
    """Write a new key where none is, whole or not at all: the page and the worker that `make
    run` starts together on a new data directory both come here. The key is written and synced
    in a file of its own, then linked to its name (atomic: it fails if another process's key got
    there first, and then that one is the key). Before, the name was created first and the key
    written into it, so the other process could read an empty file and refuse to start."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    fd, spare = tempfile.mkstemp(dir=path.parent, prefix=".audit.key.")  # owner-only (0600)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            out.write(secrets.token_hex(32) + "\n")
            out.flush()
            os.fsync(out.fileno())
        try:
            os.link(spare, path)
        except FileExistsError:
            return  # another process's key is the key
        folder = os.open(path.parent, os.O_RDONLY)
        try:
            os.fsync(folder)  # the name, too, survives a crash
        finally:
            os.close(folder)
        log.info("created the audit key %s (owner-only)", path)
    finally:
        os.unlink(spare)


def anchor_path(db_path: Path) -> Path:
    configured = os.environ.get("SIGNOFF_AUDIT_ANCHOR")
    if configured:
        return Path(configured).expanduser()
    resolved = db_path.resolve()
    tag = hashlib.sha256(str(resolved).encode()).hexdigest()[:8]
    return config_dir(db_path) / f"{resolved.parent.name}-{tag}.anchor.jsonl"


@dataclass
class AuditChain:
    key: bytes
    anchor: Path
    webhook: str | None = None

    @classmethod
    def for_database(cls, db_path: Path) -> AuditChain:
        return cls(
            key=load_key(db_path),
            anchor=anchor_path(db_path),
            webhook=os.environ.get("SIGNOFF_AUDIT_ANCHOR_URL") or None,
        )

    # -- MACs ---------------------------------------------------------------------------------
    def _hmac(self, body: bytes) -> str:
        """HMAC-SHA256 of `body` under the key: a copy of the keyed HMAC made once per key (the
        key's pads are not hashed again for every entry)."""
        keyed = self.__dict__.get("_keyed")
        if keyed is None or keyed[0] is not self.key:
            keyed = (self.key, hmac.new(self.key, digestmod=hashlib.sha256))
            self.__dict__["_keyed"] = keyed
        h = keyed[1].copy()
        h.update(body)
        return h.hexdigest()

    def mac(self, *fields: Any) -> str:
        return self._hmac(canonical(*fields))

    def _sign(self, record: dict[str, Any]) -> dict[str, Any]:
        body = json.dumps(record, sort_keys=True, separators=(",", ":")).encode()
        return {**record, "mac": self._hmac(body)}

    def _signed(self, record: dict[str, Any]) -> bool:
        mac = record.get("mac")
        rest = {k: v for k, v in record.items() if k != "mac"}
        return isinstance(mac, str) and hmac.compare_digest(mac, self._sign(rest)["mac"])

    # -- the anchor ---------------------------------------------------------------------------
    @contextlib.contextmanager
    def _locked(self) -> Iterator[int]:
        self.anchor.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd = os.open(self.anchor, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            yield fd
        finally:
            os.close(fd)  # closing releases the lock

    def genesis(self) -> dict[str, Any] | None:
        return next((r for r in self.read_anchor() if "keyed_from" in r), None)

    def begin(self, next_seq: int, legacy_head: str) -> bool:
        """Write the genesis once: the keyed chain starts at `next_seq`. True when written now."""
        with self._locked() as fd:
            if self.genesis() is not None:
                return False
            record = self._sign({"keyed_from": next_seq, "legacy_head": legacy_head})
            os.write(fd, (json.dumps(record, sort_keys=True) + "\n").encode())
            log.info("the keyed audit chain starts at entry #%d", next_seq)
            return True

    def record_head(self, seq: int, digest: str, at: str) -> None:
        """Append a signed head to the anchor file (and the webhook, if any)."""
        self.record_heads([(seq, digest, at)])

    def record_heads(self, heads: list[tuple[int, str, str]]) -> None:
        """Append signed heads (seq, hash, at) of one transaction to the anchor file in one
        write (one line each), then send each to the webhook, if any."""
        lines = [self._head_line(seq, digest, at) for seq, digest, at in heads]
        fd = os.open(self.anchor, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        try:
            os.write(fd, "".join(lines).encode())
        finally:
            os.close(fd)
        if self.webhook:
            for line in lines:
                self._post(json.loads(line))

    def _head_line(self, seq: int, digest: str, at: str) -> str:
        """The anchor's line of one head: `_sign({"seq", "hash", "at"})` as sorted JSON, built
        by hand (the MAC covers the same bytes `_sign` does, so `verify` checks it as before)."""
        if type(seq) is not int or type(digest) is not str or type(at) is not str:
            return (
                json.dumps(self._sign({"seq": seq, "hash": digest, "at": at}), sort_keys=True)
                + "\n"
            )
        at_, hash_ = _quote(at), _quote(digest)
        body = f'{{"at":{at_},"hash":{hash_},"seq":{seq}}}'.encode()
        mac = self._hmac(body)
        return f'{{"at": {at_}, "hash": {hash_}, "mac": "{mac}", "seq": {seq}}}\n'

    def _post(self, record: dict[str, Any]) -> None:
        import httpx

        try:
            httpx.post(
                self.webhook or "", json={"audit_head": record}, timeout=5
            ).raise_for_status()
        except httpx.HTTPError as exc:  # the file anchor still holds the head
            log.warning(
                "could not send the audit head #%s to the anchor webhook: %s", record["seq"], exc
            )

    def read_anchor(self) -> list[dict[str, Any]]:
        try:
            text = self.anchor.read_text(encoding="utf-8")
        except FileNotFoundError:
            return []
        records = []
        for number, line in enumerate(text.splitlines(), start=1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except json.JSONDecodeError:
                record = {"unreadable": line[:80]}
            records.append({**record, "_line": number})
        return records

    # -- verification ---------------------------------------------------------------------------
    def verify(self, rows: list[Any], highest: int) -> dict[str, Any]:
        """Walk the rows (seq order) against the key and the anchor; the first problem, or ok.

        `highest`: the largest sequence number the database says it handed out."""
        checked = len(rows)

        def broken(seq: int, problem: str) -> dict[str, Any]:
            return {"ok": False, "checked": checked, "first_bad": seq, "problem": problem}

        anchored = self.read_anchor()
        for record in anchored:
            clean = {k: v for k, v in record.items() if k != "_line"}
            if not self._signed(clean):
                return broken(
                    int(record.get("seq") or record.get("keyed_from") or 0),
                    f"line {record['_line']} of the anchor {self.anchor} is not signed with the "
                    "audit key (forged, or the key changed)",
                )
        genesis = next((r for r in anchored if "keyed_from" in r), None)
        if genesis is None:
            if rows:
                return broken(
                    rows[0]["seq"],
                    f"the anchor {self.anchor} is missing or empty: the log cannot be checked "
                    "against it (restore the anchor file or its webhook copy)",
                )
            return {"ok": True, "checked": 0, "first_bad": None, "problem": None}
        keyed_from = int(genesis["keyed_from"])
        prev_hash, prev_seq, chain_began = "", 0, False
        for r in rows:
            seq = r["seq"]
            if seq != prev_seq + 1:
                missing = f"#{prev_seq + 1}" + (f"–#{seq - 1}" if seq - 1 > prev_seq + 1 else "")
                return broken(seq, f"entry {missing} was removed before #{seq}")
            fields = (
                seq,
                r["at"],
                r["thread_id"],
                r["actor"],
                r["event"],
                r["detail"],
                r["policy_version"],
                r["prev_hash"] or "",
            )
            if seq < keyed_from:  # written before the key existed: the plain chain
                if r["hash"] is None:
                    if chain_began:
                        return broken(seq, f"entry #{seq} lost its hash after the chain began")
                    prev_hash, prev_seq = "", seq
                    continue
                chain_began = True
                if plain_hash(*fields) != r["hash"]:
                    return broken(seq, f"entry #{seq} was altered")
            else:
                if r["hash"] is None or r["prev_hash"] is None:
                    return broken(seq, f"entry #{seq} lost its hash after the chain began")
                if not hmac.compare_digest(self.mac(*fields), r["hash"]):
                    how = (
                        "was re-hashed without the audit key"
                        if plain_hash(*fields) == r["hash"]
                        else "was altered"
                    )
                    return broken(seq, f"entry #{seq} {how}")
                if seq == keyed_from and (r["prev_hash"] or "") != genesis["legacy_head"]:
                    return broken(
                        seq, f"entries before #{seq} were rewritten after the key was set"
                    )
            if (r["prev_hash"] or "") != prev_hash:
                return broken(seq, f"entry #{seq} does not follow #{prev_seq}")
            prev_hash, prev_seq = r["hash"], seq
        if highest > prev_seq:
            return broken(
                prev_seq + 1, f"the last entries (#{prev_seq + 1}–#{highest}) were removed"
            )
        by_seq = {r["seq"]: r["hash"] for r in rows}
        heads = [r for r in anchored if "seq" in r and "hash" in r]
        top = max((int(h["seq"]) for h in heads), default=0)
        if top > prev_seq:
            return broken(
                prev_seq + 1,
                f"the last entries (#{prev_seq + 1}–#{top}) were cut from the end "
                f"(the anchor saw #{top})",
            )
        for head in heads:
            if by_seq.get(int(head["seq"])) != head["hash"]:
                return broken(
                    int(head["seq"]),
                    f"entry #{head['seq']} is not the one the anchor recorded at {head.get('at')}"
                    " (the chain was rewritten)",
                )
        return {"ok": True, "checked": checked, "first_bad": None, "problem": None}
