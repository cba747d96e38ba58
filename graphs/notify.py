"""Reach reviewers where they are: when an item waits, tell the people who may decide it.

Channels (configured in Settings: env SIGNOFF_* or `<home>/connectors.toml`):
- email through the configured SMTP server (`smtp_url`, sender `notify_from`), to each person;
- a Slack-compatible incoming webhook (`slack_webhook_url`): a Block Kit message;
- a generic webhook (`notify_webhook_url`): a JSON POST.

Kinds: `waiting` (an item appeared), `reminder` (it expires within the policy's
`expiry.remind_before`), `escalation` (it has waited longer than `notifications.escalate_after`:
it goes to `notifications.escalate_to` as well). Each person chooses `immediate`, `digest` (one
message every `notifications.digest_every` seconds) or `off` on the Settings page.

Exactly once: a row per (item, person, kind) in `deliveries` (its primary key); a row is claimed
(`queued` → `sending`) before it is sent, so two schedulers never send it twice. Delivery runs in
the scheduler's tick (`Signoff.tick`, `signoff worker`, the page's background thread).

Links: `<base_url>/inbox?item=<id>&t=<token>`. The token is signed (HMAC-SHA256 with a key derived
from the audit key, which lives outside the database), expires after
`notifications.link_expires_after`, names the person and is bound to the content hash of the draft
it announced. It is not a credential: sign-in is still required to open the page. A token for a
draft that has changed since (a redraft, an edit) is refused with "this draft changed since this
link was sent".

Who is told: `eligible_deciders(item, policy)`, from the policy's authority rules
(graphs/authority.py): everyone in `authority.people` who may take part in deciding the item (its
approve rule, thresholds), less those who already approved it (quorum: one person counts once).
Escalations go to `notifications.escalate_to` (roles or emails). In local mode (no people in the
policy) nobody is notified: the one person who runs Signoff sees the inbox.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import sqlite3
import time
from email.message import EmailMessage
from typing import Any

import httpx

from graphs.audit_chain import AuditChain
from graphs.authority import can_take_part, requirement
from graphs.binding import content_hash
from graphs.humanize import count, duration
from graphs.policy import Policy
from graphs.store import Store, now_iso
from tools.base import ConnectorError, Settings

log = logging.getLogger(__name__)

MODES = ("immediate", "digest", "off")
KINDS = ("waiting", "reminder", "escalation")
MODE_WORDS = {
    "immediate": "Tell me at once",
    "digest": "One summary a day",
    "off": "Don't tell me",
}
STALE = "This draft changed since this link was sent"


# -- who is told --------------------------------------------------------------------------------
def eligible_deciders(
    item: dict[str, Any], policy: Policy, author: str | None = None, done: list[str] | None = None
) -> list[str]:
    """The people (emails) who may decide `item` (an inbox row) and have not approved it yet."""
    auth = policy.authority
    if auth.open:
        return []
    p = item["payload"]
    req = requirement(
        auth,
        p["action"]["name"],
        p.get("channel") or "",
        p.get("risk") or "high",
        p["action"]["args"],
        author,
    )
    already = {auth.canonical(d) for d in done or []}
    return sorted(
        person.email
        for person in auth.people
        if can_take_part(auth, req, person.email) and person.email not in already
    )


def escalation_targets(policy: Policy) -> list[str]:
    targets = set(policy.reach.get("escalate_to", []))
    found = {t for t in targets if "@" in t}
    for person in policy.authority.people:
        if person.roles & targets:
            found.add(person.email)
    return sorted(found)


# -- links ----------------------------------------------------------------------------------------
class Links:
    """Signed, expiring links bound to an item's content hash."""

    def __init__(self, chain: AuditChain, base_url: str) -> None:
        self.key = hmac.new(chain.key, b"signoff item links", hashlib.sha256).digest()
        self.base_url = base_url.rstrip("/")

    def token(self, item: dict[str, Any], person: str, expires: float) -> str:
        claims = {
            "i": item["interrupt_id"],
            "th": item["thread_id"],
            "a": item["action_id"],
            "h": content_hash(item["payload"])[:32],
            "p": person,
            "e": int(expires),
        }
        body = _b64(json.dumps(claims, separators=(",", ":")).encode())
        return f"{body}.{self._mac(body)}"

    def url(self, item: dict[str, Any], person: str, expires: float) -> str:
        token = self.token(item, person, expires)
        return f"{self.base_url}/inbox?item={item['interrupt_id']}&t={token}"

    def _mac(self, body: str) -> str:
        return _b64(hmac.new(self.key, body.encode(), hashlib.sha256).digest()[:20])

    def open(self, store: Store, token: str, now: float) -> dict[str, Any]:
        """What a link opens: `{"status", "message", "interrupt_id"}`; status is one of ok,
        invalid, expired, stale, decided."""
        body, _, mac = (token or "").partition(".")
        if not body or not hmac.compare_digest(mac, self._mac(body)):
            return _opened("invalid", "This link is not valid. Open the inbox to find the item.")
        try:
            claims = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
        except (ValueError, TypeError):
            return _opened("invalid", "This link is not valid. Open the inbox to find the item.")
        if now > claims["e"]:
            return _opened(
                "expired",
                f"This link expired {duration(int(now - claims['e']))} ago. Open the inbox to "
                "find the item.",
            )
        decided = store.decision(claims["i"])
        if decided is not None and decided["decision"]["type"] != "revise":
            return _opened(
                "decided",
                f"Already decided ({decided['decision']['type']}) by {decided['by']} at "
                f"{decided['at']}.",
                claims["i"],
            )
        current = store.inbox_item(claims["i"])
        if current is None or content_hash(current["payload"])[:32] != claims["h"]:
            newer = next(
                (
                    r["interrupt_id"]
                    for r in store.inbox(claims["th"])
                    if r["action_id"] == claims["a"]
                ),
                None,
            )
            return _opened(
                "stale",
                f"{STALE}. "
                + ("The current draft is shown below." if newer else "It is no longer waiting."),
                newer,
            )
        return _opened("ok", "", claims["i"])


def _opened(status: str, message: str, interrupt_id: str | None = None) -> dict[str, Any]:
    return {"status": status, "message": message, "interrupt_id": interrupt_id}


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


# -- delivery -------------------------------------------------------------------------------------
class Reach:
    def __init__(self, store: Store, policy: Policy, settings: Settings) -> None:
        self.store = store
        self.policy = policy
        self.settings = settings
        self.links = Links(store.chain, settings.base_url)

    # preferences
    def preference(self, person: str) -> str:
        rows = self.store.query(
            "SELECT mode FROM notify_prefs WHERE person = ?", (person.strip().lower(),)
        )
        return str(rows[0]["mode"]) if rows else "immediate"

    def set_preference(self, person: str, mode: str) -> None:
        if mode not in MODES:
            raise ValueError(
                f"Unknown notification choice {mode!r}; expected one of {list(MODES)}."
            )
        with self.store.tx() as c:
            c.execute(
                "INSERT INTO notify_prefs (person, mode, updated_at) VALUES (?, ?, ?) "
                "ON CONFLICT (person) DO UPDATE SET mode = excluded.mode,"
                " updated_at = excluded.updated_at",
                (person.strip().lower(), mode, now_iso()),
            )
            self.store._append_audit(
                c, "notification.preference", {"person": person, "mode": mode}, actor=person
            )

    def channels(self) -> list[str]:
        found = []
        if self.settings.smtp_url:
            found.append("email")
        if self.settings.slack_webhook_url:
            found.append("slack")
        if self.settings.notify_webhook_url:
            found.append("webhook")
        return found

    def deliveries(self, person: str | None = None) -> list[dict[str, Any]]:
        sql = "SELECT * FROM deliveries"
        params: tuple[Any, ...] = ()
        if person:
            sql, params = sql + " WHERE person = ?", (person,)
        return [dict(r) for r in self.store.query(sql + " ORDER BY seen, rowid", params)]

    # the scheduler's step
    def deliver(self, now: float | None = None) -> list[str]:
        """Queue what is due for whom, then send: immediate rows now, digests when due.
        Returns `interrupt_id:person:kind` for each row sent."""
        now = time.time() if now is None else now
        if self.policy.authority.open or not self.channels():
            return []
        items = self.store.inbox(kind="review")
        escalate_after = self.policy.reach.get("escalate_after")
        for item in items:
            deciders = eligible_deciders(
                item, self.policy, self._author(item["thread_id"]), self._endorsers(item)
            )
            seen = self._queue(item["interrupt_id"], deciders, "waiting", now)
            due = item["due"]
            if due is not None and due - self.policy.remind_before <= now:
                self._queue(item["interrupt_id"], deciders, "reminder", now)
            if escalate_after and now - seen >= escalate_after:
                self._queue(
                    item["interrupt_id"], escalation_targets(self.policy), "escalation", now
                )
        sent: list[str] = []
        by_id = {i["interrupt_id"]: i for i in items}
        queued = self.store.query("SELECT * FROM deliveries WHERE status = 'queued' ORDER BY seen")
        digests: dict[str, list[dict[str, Any]]] = {}
        for row in queued:
            waiting = by_id.get(row["interrupt_id"])
            if waiting is None:  # decided or gone before it was sent: nothing to tell
                self._set(row, "dropped", "queued")
                continue
            mode = self.preference(row["person"])
            if mode == "off":
                self._set(row, "off", "queued")
            elif mode == "digest":
                digests.setdefault(row["person"], []).append(dict(row))
            elif self._set(row, "sending", "queued"):
                sent += self._send(row["person"], [(dict(row), waiting)], now)
        for person, rows in digests.items():
            if not self._digest_due(person, now):
                continue
            claimed = [
                (r, by_id[r["interrupt_id"]]) for r in rows if self._set(r, "sending", "queued")
            ]
            if claimed:
                sent += self._send(person, claimed, now, digest=True)
                with self.store.tx() as c:
                    c.execute(
                        "UPDATE notify_prefs SET last_digest = ? WHERE person = ?", (now, person)
                    )
        return sent

    def _author(self, thread_id: str) -> str | None:
        rows = self.store.audit_log(thread_id, 1, event="campaign.started")
        return str(rows[0]["actor"]) if rows else None

    def _endorsers(self, item: dict[str, Any]) -> list[str]:
        """Who already approved an item that needs more people (graphs/approvals.py)."""
        try:
            rows = self.store.query(
                "SELECT person FROM endorsements WHERE interrupt_id = ?", (item["interrupt_id"],)
            )
        except sqlite3.OperationalError:  # no approvals table yet
            return []
        return [r["person"] for r in rows]

    def _queue(self, interrupt_id: str, people: list[str], kind: str, now: float) -> float:
        """Add a row per person (once); returns when the item was first seen (for escalation)."""
        with self.store.tx() as c:
            for person in people:
                c.execute(
                    "INSERT OR IGNORE INTO deliveries (interrupt_id, person, kind, status, seen) "
                    "VALUES (?, ?, ?, 'queued', ?)",
                    (interrupt_id, person, kind, now),
                )
            row = c.execute(
                "SELECT MIN(seen) AS seen FROM deliveries WHERE interrupt_id = ?", (interrupt_id,)
            ).fetchone()
        return float(row["seen"]) if row and row["seen"] is not None else now

    def _set(self, row: Any, status: str, was: str, error: str | None = None) -> bool:
        with self.store.tx() as c:
            return bool(
                c.execute(
                    "UPDATE deliveries SET status = ?, error = ?, sent_at = ? WHERE interrupt_id = ?"
                    " AND person = ? AND kind = ? AND status = ?",
                    (
                        status,
                        error,
                        now_iso() if status == "sent" else None,
                        row["interrupt_id"],
                        row["person"],
                        row["kind"],
                        was,
                    ),
                ).rowcount
            )

    def _digest_due(self, person: str, now: float) -> bool:
        rows = self.store.query("SELECT last_digest FROM notify_prefs WHERE person = ?", (person,))
        last = rows[0]["last_digest"] if rows else None
        return last is None or now - float(last) >= self.policy.reach["digest_every"]

    def _send(
        self,
        person: str,
        entries: list[tuple[dict[str, Any], dict[str, Any]]],
        now: float,
        *,
        digest: bool = False,
    ) -> list[str]:
        expires = now + self.policy.reach["link_expires_after"]
        lines = [self._line(row, item, person, expires, now) for row, item in entries]
        used, errors = [], []
        for channel in self.channels():
            try:
                getattr(self, f"_via_{channel}")(person, lines, digest)
                used.append(channel)
            except (ConnectorError, httpx.HTTPError, OSError) as exc:
                errors.append(f"{channel}: {exc}")
                log.warning("could not notify %s by %s: %s", person, channel, exc)
        status = "sent" if used or not errors else "failed"
        done = []
        with self.store.tx() as c:
            for row, item in entries:
                c.execute(
                    "UPDATE deliveries SET status = ?, sent_at = ?, channels = ?, error = ? "
                    "WHERE interrupt_id = ? AND person = ? AND kind = ?",
                    (
                        status,
                        now_iso(),
                        ",".join(used),
                        "; ".join(errors) or None,
                        row["interrupt_id"],
                        person,
                        row["kind"],
                    ),
                )
                self.store._append_audit(
                    c,
                    f"notification.{status}",
                    {
                        "interrupt_id": row["interrupt_id"],
                        "person": person,
                        "kind": row["kind"],
                        "channels": used,
                        "digest": digest,
                        "errors": errors,
                    },
                    thread_id=item["thread_id"],
                    actor="scheduler",
                )
                done.append(f"{row['interrupt_id']}:{person}:{row['kind']}")
        return done if status == "sent" else []

    def _line(
        self, row: dict[str, Any], item: dict[str, Any], person: str, expires: float, now: float
    ) -> dict[str, Any]:
        p = item["payload"]
        kind = row["kind"]
        title = p.get("title") or p["action"]["name"]
        if kind == "reminder" and item["due"]:
            headline = f"Expires in {duration(max(0, int(item['due'] - now)))}: {title}"
        elif kind == "escalation":
            first = self.store.query(
                "SELECT MIN(seen) AS seen FROM deliveries WHERE interrupt_id = ?",
                (item["interrupt_id"],),
            )[0]["seen"]
            headline = f"Unanswered for {duration(int(now - first))}: {title}"
        else:
            headline = f"Waiting for your sign-off: {title}"
        return {
            "kind": kind,
            "interrupt_id": item["interrupt_id"],
            "thread_id": item["thread_id"],
            "action": p["action"]["name"],
            "risk": p.get("risk"),
            "title": title,
            "headline": headline,
            "reasons": list(p.get("reasons", []))[:3],
            "url": self.links.url(item, person, expires),
            "link_expires": int(expires),
        }

    # channels
    def _via_email(self, person: str, lines: list[dict[str, Any]], digest: bool) -> None:
        from tools.email import _send_smtp

        msg = EmailMessage()
        msg["From"] = self.settings.notify_from
        msg["To"] = person
        waits = "waits" if len(lines) == 1 else "wait"
        subject = (
            f"{count(len(lines), 'item')} {waits} for your sign-off"
            if digest
            else lines[0]["headline"]
        )
        msg["Subject"] = f"[Signoff] {subject}"
        body = []
        for line in lines:
            body += [
                line["headline"],
                *[f"  - {r}" for r in line["reasons"]],
                f"  Open it: {line['url']}",
                "",
            ]
        body.append(
            "You will be asked to sign in. The link expires; it opens the draft it announced."
        )
        body.append("Choose how you are told on the Settings page.")
        msg.set_content("\n".join(body))
        _send_smtp(msg, self.settings)

    def _via_slack(self, person: str, lines: list[dict[str, Any]], digest: bool) -> None:
        blocks: list[dict[str, Any]] = [
            {
                "type": "header",
                "text": {
                    "type": "plain_text",
                    "text": f"{len(lines)} items wait for {person}"
                    if digest
                    else lines[0]["headline"][:150],
                },
            }
        ]
        for line in lines:
            text = f"*{_slack_escape(line['headline'])}*"
            if line["reasons"]:
                text += "\n" + "\n".join(f"• {_slack_escape(r)}" for r in line["reasons"])
            blocks.append(
                {
                    "type": "section",
                    "text": {"type": "mrkdwn", "text": text[:2900]},
                    "accessory": {
                        "type": "button",
                        "text": {"type": "plain_text", "text": "Open"},
                        "url": line["url"],
                        "action_id": f"open-{line['interrupt_id']}",
                    },
                }
            )
        blocks.append(
            {
                "type": "context",
                "elements": [
                    {
                        "type": "mrkdwn",
                        "text": f"For {person} · sign-in required · the link expires",
                    }
                ],
            }
        )
        fallback = "; ".join(line["headline"] for line in lines)
        self._post(self.settings.slack_webhook_url, {"text": fallback, "blocks": blocks})

    def _via_webhook(self, person: str, lines: list[dict[str, Any]], digest: bool) -> None:
        self._post(
            self.settings.notify_webhook_url,
            {
                "event": "signoff.digest" if digest else f"signoff.{lines[0]['kind']}",
                "person": person,
                "items": lines,
            },
        )

    def _post(self, url: str | None, body: dict[str, Any]) -> None:
        response = httpx.post(url or "", json=body, timeout=self.settings.http_timeout)
        response.raise_for_status()


def _slack_escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
