"""Reaching reviewers: a real SMTP server (aiosmtpd) and a loopback HTTP server that records the
Slack and webhook payloads; the scheduler's tick delivers, once per item, person and kind."""

from __future__ import annotations

import email
import email.policy
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from loopback import Loopback, Reply
from policy_support import Clock, drop_holds, write_policy
from support import smtp_on_loopback

from graphs.errors import InvalidInput
from graphs.notify import STALE
from graphs.policy import parse_policy
from graphs.runtime import Signoff

ANN, BOB, CAROL, VIC, DAVE = (
    "ann@example.com",
    "bob@example.com",
    "carol@example.com",
    "vic@example.com",
    "dave@example.com",
)


class Recorder:
    def __init__(self) -> None:
        self.messages: list[Any] = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's hook name)
        self.messages.append(
            email.message_from_bytes(
                envelope.original_content or envelope.content, policy=email.policy.default
            )
        )
        return "250 OK"

    def to(self, person: str) -> list[Any]:
        return [m for m in self.messages if m["To"] == person]


@pytest.fixture
def smtp() -> Iterator[tuple[Recorder, int]]:
    recorder = Recorder()
    with smtp_on_loopback(recorder) as port:
        yield recorder, port


@pytest.fixture
def hooks() -> Iterator[Loopback]:
    with Loopback() as server:
        server.script("POST", "/slack", [Reply(200, body=b"ok")])
        server.script("POST", "/hook", [Reply(200, {"ok": True})])
        yield server


def team(doc: dict[str, Any]) -> None:
    drop_holds(doc)
    doc["people"] = {
        ANN: ["marketer"],
        BOB: ["budget_owner"],
        CAROL: ["admin"],
        VIC: ["viewer"],
        DAVE: ["marketer"],
    }
    doc["authority"]["approve"].append({"action": "spend_ads", "roles": ["budget_owner", "admin"]})
    doc["notifications"] = {
        "escalate_after": 3600,
        "escalate_to": ["admin"],
        "digest_every": 86400,
        "link_expires_after": 7200,
    }


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def runtime(home, model, tmp_path, smtp, hooks, clock, monkeypatch) -> Iterator[Signoff]:
    _, port = smtp
    monkeypatch.setenv("SIGNOFF_BASE_URL", "http://127.0.0.1:8599")
    monkeypatch.setenv("SIGNOFF_SLACK_WEBHOOK_URL", f"{hooks.url}/slack")
    monkeypatch.setenv("SIGNOFF_NOTIFY_WEBHOOK_URL", f"{hooks.url}/hook")
    policy = write_policy(tmp_path / "team.yaml", team)
    r = Signoff(
        home, model=model, policy_path=policy, smtp_url=f"smtp://127.0.0.1:{port}", clock=clock
    )
    r.set_notify_preference(DAVE, "off")
    yield r
    r.close()


def links(text: str) -> list[str]:
    return re.findall(r"http://127\.0\.0\.1:8599/inbox\?item=[\w-]+&t=[\w.-]+", text)


def token(url: str) -> str:
    return url.split("&t=", 1)[1]


def test_the_eligible_people_and_only_they_are_told_once(runtime, brief, smtp, hooks, clock):
    recorder, _ = smtp
    brief.update(channels=["email", "ads"], ad_budget=150)
    pending = {p["action"]: p for p in runtime.start(brief, by=ANN)["pending"]}
    assert set(pending) == {"send_email", "spend_ads"}
    assert recorder.messages == []  # nothing before the scheduler's tick
    sent = runtime.tick()["notified"]
    email_id, spend_id = pending["send_email"]["id"], pending["spend_ads"]["id"]
    # the email: every approver and the admin, not the viewer, not dave (who chose "off");
    # the spend: its budget owner and the admin only
    assert sorted(sent) == sorted(
        [f"{email_id}:{p}:waiting" for p in (ANN, BOB, CAROL)]
        + [f"{spend_id}:{p}:waiting" for p in (BOB, CAROL)]
    )
    assert {m["To"] for m in recorder.messages} == {ANN, BOB, CAROL}
    assert recorder.to(VIC) == [] and recorder.to(DAVE) == []
    [to_ann] = recorder.to(ANN)
    assert to_ann["Subject"].startswith("[Signoff] Waiting for your sign-off")
    [url] = links(to_ann.get_content())
    assert f"item={email_id}" in url
    assert len(recorder.to(BOB)) == 2
    # Slack: a Block Kit message per person and item, with an Open button on the link
    slack = [r.json for r in hooks.calls("POST", "/slack")]
    assert len(slack) == 5
    buttons = [b["accessory"]["url"] for m in slack for b in m["blocks"] if b["type"] == "section"]
    assert all(links(u) for u in buttons) and any(f"item={spend_id}" in u for u in buttons)
    assert {m["blocks"][0]["type"] for m in slack} == {"header"}
    # the generic webhook: one JSON per person and item
    hook = [r.json for r in hooks.calls("POST", "/hook")]
    assert sorted((h["person"], h["items"][0]["interrupt_id"]) for h in hook) == sorted(
        [(p, email_id) for p in (ANN, BOB, CAROL)] + [(p, spend_id) for p in (BOB, CAROL)]
    )
    assert {h["event"] for h in hook} == {"signoff.waiting"}
    # exactly once: further ticks send nothing new
    clock.advance(60)
    assert runtime.tick()["notified"] == []
    assert len(recorder.messages) == 5 and len(hooks.calls("POST", "/hook")) == 5
    rows = {(d["person"], d["status"]) for d in runtime.reach.deliveries()}
    assert (DAVE, "off") in rows and all(p != VIC for p, _ in rows)
    audited = runtime.activity(event="notification.sent")
    assert len(audited) == 5 and {a["detail"]["channels"][0] for a in audited} == {"email"}


def test_escalation_reaches_escalate_to_and_reminders_the_deciders(runtime, brief, smtp, clock):
    recorder, _ = smtp
    brief["channels"] = ["social"]
    [post] = runtime.start(brief, by=ANN)["pending"]
    runtime.tick()
    assert {m["To"] for m in recorder.messages} == {ANN, BOB, CAROL}
    recorder.messages.clear()
    clock.advance(3599)
    assert runtime.tick()["notified"] == []
    clock.advance(2)
    assert runtime.tick()["notified"] == [f"{post['id']}:{CAROL}:escalation"]
    [escalated] = recorder.messages
    assert escalated["To"] == CAROL and "Unanswered for 1 h" in escalated["Subject"]
    recorder.messages.clear()
    # a reminder before the review expires (high risk: 7 days; reminder 1 day before)
    clock.advance(6 * 86400 - 3601 + 1)
    reminded = runtime.tick()["notified"]
    assert sorted(reminded) == sorted(f"{post['id']}:{p}:reminder" for p in (ANN, BOB, CAROL))
    assert all("Expires in" in m["Subject"] for m in recorder.messages)
    assert runtime.tick()["notified"] == []


def test_digest_bundles_items_once_a_day(runtime, brief, smtp, hooks, clock):
    recorder, _ = smtp
    runtime.set_notify_preference(ANN, "digest")
    brief["channels"] = ["email", "social"]
    first = runtime.start(brief, by=ANN)["pending"]
    runtime.tick()
    [digest] = recorder.to(ANN)
    assert "2 items wait for your sign-off" in digest["Subject"]
    assert len(links(digest.get_content())) == 2
    [ann_hook] = [h.json for h in hooks.calls("POST", "/hook") if h.json["person"] == ANN]
    assert ann_hook["event"] == "signoff.digest" and len(ann_hook["items"]) == 2
    brief["product"] = "Brightloop 2 smart thermostat"
    runtime.start(brief, by=ANN)
    clock.advance(3000)
    runtime.tick()
    assert len(recorder.to(ANN)) == 1  # the next digest waits for its day
    clock.advance(86400)
    runtime.tick()
    second = recorder.to(ANN)[-1]
    body = second.get_content()
    assert len(recorder.to(ANN)) == 2 and not any(f"item={p['id']}" in body for p in first)
    assert "Unanswered" not in body  # the first items' escalations went to the admin only
    assert len(links(body)) == 2


def test_link_opens_the_item_and_a_stale_or_expired_link_is_refused(runtime, brief, smtp, clock):
    recorder, _ = smtp
    brief["channels"] = ["social"]
    [post] = runtime.start(brief, by=ANN)["pending"]
    runtime.tick()
    [url] = links(recorder.to(ANN)[0].get_content())
    opened = runtime.open_link(token(url))
    assert opened == {"status": "ok", "message": "", "interrupt_id": post["id"]}
    forged = token(url)[:-3] + ("AAA" if not token(url).endswith("AAA") else "BBB")
    assert runtime.open_link(forged)["status"] == "invalid"
    # someone sends it back to the writer: the redraft is a new draft; the old link says so
    runtime.decide(post["id"], {"type": "revise", "feedback": "Shorter, please."}, by=BOB)
    stale = runtime.open_link(token(url))
    assert stale["status"] == "stale" and stale["message"].startswith(STALE)
    [redraft] = runtime.pending()
    assert stale["interrupt_id"] == redraft["id"]
    clock.advance(7201)
    assert runtime.open_link(token(url))["status"] == "expired"


def test_decided_item_link_says_who_decided(runtime, brief, smtp):
    recorder, _ = smtp
    brief["channels"] = ["social"]
    [post] = runtime.start(brief, by=ANN)["pending"]
    runtime.tick()
    [url] = links(recorder.to(CAROL)[0].get_content())
    runtime.decide(post["id"], {"type": "reject", "reason": "off-brand"}, by=ANN)
    opened = runtime.open_link(token(url))
    assert opened["status"] == "decided" and ANN in opened["message"]


def test_a_failing_channel_does_not_stop_the_others(runtime, brief, smtp, hooks):
    recorder, _ = smtp
    hooks.script("POST", "/slack", [Reply(500, body=b"down")])
    hooks._routes.insert(0, hooks._routes.pop())  # the failing script answers first
    brief["channels"] = ["social"]
    runtime.start(brief, by=ANN)
    sent = runtime.tick()["notified"]
    assert len(sent) == 3 and len(recorder.messages) == 3
    [entry, *_] = runtime.activity(event="notification.sent")
    assert entry["detail"]["channels"] == ["email", "webhook"]
    assert "slack" in entry["detail"]["errors"][0]


def test_preferences_and_policy_sections_are_validated(runtime, tmp_path):
    with pytest.raises(InvalidInput, match="expected one of"):
        runtime.set_notify_preference(ANN, "hourly")
    text = Path(runtime.policy.path).read_text()
    for bad, message in (
        ("notifications:\n  escalate_after: -5\n", "escalate_after"),
        ("notifications:\n  every_hour: true\n", "expected one of"),
        ("notifications:\n  escalate_to: 5\n", "expected roles or emails"),
    ):
        broken = re.sub(r"^notifications:.*?(?=^\S)", "", text, flags=re.S | re.M)
        with pytest.raises(InvalidInput, match=message):
            parse_policy(broken + bad, "team.yaml")


def test_nobody_is_told_without_a_team(signoff, brief):
    signoff.start(brief)
    assert signoff.tick()["notified"] == []
