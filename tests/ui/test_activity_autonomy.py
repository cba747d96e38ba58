"""The Activity and Autonomy pages under AppTest.

Activity: notifications acknowledged or flagged (a flag demotes at once), undo, the audit log
filtered (campaign in the URL), its hash chain verified, its CSV offered for download.
Autonomy: levels with their track record, a suggested promotion a person confirms, the routing
table, and a policy simulation.
"""

from __future__ import annotations

import io
import sqlite3
from pathlib import Path
from typing import Any

import pytest
import yaml
from policy_support import promotes_quickly, shipped, write_policy
from streamlit.runtime.media_file_manager import MediaFileManager
from streamlit.testing.v1 import AppTest
from ui_support import BRIEF, keys, open_app, texts

from graphs.runtime import Signoff
from ui.state import clock

ACTIVITY = "views/activity.py"
AUTONOMY = "views/autonomy.py"


def start(seeded: Signoff, **extra: Any) -> dict[str, Any]:
    return seeded.start({**BRIEF, **extra})


def frame(at: AppTest, column: str) -> Any:
    """The first dataframe on the page with this column, as a pandas DataFrame."""
    for df in at.dataframe:
        if column in df.value.columns:
            return df.value
    raise AssertionError(f"no dataframe with a column {column!r}")


def open_tab(at: AppTest, label: str) -> AppTest:
    """Activity with one of its tabs opened (only the open tab's content runs)."""
    at.session_state["activity-tab"] = label
    return at.run()


def at_keys(at: AppTest) -> set[str]:
    """The keys of every element on the page (containers included)."""
    found: set[str] = set()

    def walk(node: Any) -> None:
        key = getattr(node, "key", None) or getattr(getattr(node, "proto", None), "id", None)
        if isinstance(key, str):
            found.add(key)
        for child in getattr(node, "children", {}).values():
            walk(child)

    walk(at._tree)
    return found


def element(at: AppTest, key: str) -> Any:
    found = at.get_by_key(key)
    assert found is not None, f"no element with key {key!r}"
    return found


# -- Activity: notifications ------------------------------------------------------------------
def test_notifications_acknowledge_and_flag_with_a_reason(
    ui_home: Path, seeded: Signoff, monkeypatch: pytest.MonkeyPatch
) -> None:
    for _ in range(2):  # a landing page runs at `earned` and tells you afterwards
        start(seeded, channels=["cms"])
    first, second = sorted(n["id"] for n in seeded.notifications())
    at = open_app(ACTIVITY)
    assert not at.exception
    assert at.tabs[0].label == "Notifications (2 open)"
    assert {f"ack-{first}", f"flag-{first}", f"ack-{second}", f"flag-{second}"} <= keys(at)
    assert "Publish web page ran without review" in texts(at)

    monkeypatch.setenv("SIGNOFF_USER", "cy")  # who runs the page (local mode)
    at.button(key=f"ack-{first}").click().run()
    assert not at.exception
    assert f"Acknowledged notification {first}." in at.success[0].value
    assert f"ack-{first}" not in keys(at)
    [acked] = seeded.notifications("acknowledged")
    assert acked["id"] == first and acked["by"] == "cy"

    at.button(key=f"flag-{second}").click().run()  # opens the reason form
    at.button(key=f"flag-confirm-{second}").click().run()  # no reason: refused
    assert not at.exception
    assert "Say what was wrong" in at.error[0].value
    assert seeded.notifications("flagged") == []
    at.text_input(key=f"flag-reason-{second}").input("The page quotes an old price")
    at.button(key=f"flag-confirm-{second}").click().run()
    assert not at.exception
    assert "That action type now waits for a person again" in at.warning[0].value
    [flagged] = seeded.notifications("flagged")
    assert flagged["reason"] == "The page quotes an old price" and flagged["by"] == "cy"
    page = next(r for r in seeded.autonomy() if r["action"] == "publish_page")
    assert page["level"] == "supervised"  # was `earned`: demoted at once
    assert at.tabs[0].label == "Notifications"
    assert "Every notification has been looked at" in texts(at)


def test_the_open_tab_stays_open_when_the_notification_count_changes(
    ui_home: Path, seeded: Signoff
) -> None:
    start(seeded, channels=["cms"])  # one open notification: "Notifications (1 open)"
    at = open_app(ACTIVITY)
    assert not at.dataframe  # the log's table is drawn only when its tab is open
    at.session_state["activity-tab"] = "Audit log"
    at.session_state["activity-last"] = "log"  # what the tab's on_change records on a click
    at.run()
    assert at.dataframe
    [note] = seeded.notifications("open")
    seeded.acknowledge(note["id"], by="ann")  # someone else, meanwhile: the label changes
    at.run()
    assert not at.exception
    assert at.tabs[0].label == "Notifications"
    assert at.dataframe  # still on the log, not sent back to the first tab


# -- Activity: undo -----------------------------------------------------------------------------
def test_undo_a_reversible_action(ui_home: Path, seeded: Signoff) -> None:
    start(seeded, channels=["email"], engage=["https://social.example/@ann/1", "@bob"])
    rows = {r["action"]: r for r in seeded.undoable()}
    like, follow = rows["like_post"], rows["follow_account"]
    at = open_tab(open_app(ACTIVITY), "Undo")
    assert {f"undo-{like['key']}", f"undo-{follow['key']}"} <= keys(at)
    at.button(key=f"undo-{like['key']}").click().run()
    assert not at.exception
    assert "Undone: Like a post." in at.success[0].value
    assert f"undo-{like['key']}" not in keys(at)  # shown as undone, no button
    assert f"undo-{follow['key']}" in keys(at)
    after = {r["action"]: r for r in seeded.undoable()}
    assert after["like_post"]["undone"] and not after["follow_account"]["undone"]
    [event] = seeded.activity(event="action.undone")
    assert event["detail"]["key"] == like["key"]


def test_undo_is_offered_only_for_what_the_policy_says_can_be_undone(
    ui_home: Path, seeded: Signoff
) -> None:
    started = start(seeded, channels=["social"], engage=["https://social.example/@ann/1"])
    [post] = [p for p in started["pending"] if p["action"] == "publish_post"]
    seeded.decide_many({post["id"]: {"type": "approve", "checked": True}}, by="ann")
    rows = {r["action"]: r for r in seeded.undoable()}
    assert "publish_post" not in rows  # the connector could undo it; the policy says no
    like = rows["like_post"]
    [published] = [r for r in seeded.store.outbox() if r["name"] == "publish_post"]
    with sqlite3.connect(ui_home / "signoff.db") as db:  # it ran a while ago
        db.execute(
            "UPDATE outbox SET created_at = ?, updated_at = ? WHERE key = ?",
            ("2026-01-02T03:04:05+00:00", "2026-01-02T03:04:06+00:00", like["key"]),
        )
    seeded.undo(like["key"], by="ann")  # undone now: the row's update time moves
    at = open_tab(open_app(ACTIVITY), "Undo")
    assert not at.exception
    # the policy: a published post cannot be undone (as the Inbox card and README say)
    assert not any(k.startswith(f"undo-{published['key']}") for k in keys(at))
    assert not any(k.startswith(f"undoable-{published['key'][:16]}") for k in at_keys(at))
    assert "Publish social post" not in texts(at)
    # the like is listed with the time it ran, not the time it was undone
    [undone] = [r for r in seeded.undoable() if r["action"] == "like_post"]
    assert undone["undone"] and undone["ran_at"] == "2026-01-02T03:04:05+00:00"
    page = texts(at)
    assert f"ran {clock(undone['ran_at'])}" in page
    assert clock(undone["at"]) not in page


def test_nothing_to_undo_says_what_can_be(ui_home: Path, seeded: Signoff) -> None:
    at = open_tab(open_app(ACTIVITY), "Undo")
    assert not at.exception
    line = next(c.value for c in at.caption if "Nothing to undo" in c.value)
    assert "like a post" in line and "published posts" not in line
    assert "publish social post" not in line


# -- Activity: the audit log ------------------------------------------------------------------
def test_audit_log_filters_follow_the_url(ui_home: Path, seeded: Signoff) -> None:
    first, second = start(seeded), start(seeded)
    email = next(p for p in first["pending"] if p["action"] == "send_email")
    seeded.decide(email["id"], {"type": "approve"}, by="ann")

    at = open_app(ACTIVITY, thread=first["thread_id"])
    assert not at.exception
    assert at.selectbox(key="filter-thread").value == first["thread_id"]
    table = frame(at, "Event")
    assert set(table["Campaign"]) == {first["thread_id"][:8]}
    assert len(table) == len(seeded.activity(thread_id=first["thread_id"]))

    at.selectbox(key="filter-event").select("decision.recorded").run()
    assert not at.exception
    assert at.query_params["event"] == "decision.recorded"
    table = frame(at, "Event")
    assert list(table["Event"]) == ["Decision"] and list(table["Who"]) == ["ann"]
    assert list(table["What happened"]) == ["Approved the email"]
    assert "Recorded" not in table.columns  # the raw detail waits behind "Technical details"
    at.toggle(key="audit-raw").set_value(True).run()
    table = frame(at, "Event")
    assert list(table["Name"]) == ["decision.recorded"]
    assert '"type": "approve"' in table["Recorded"][0]

    at.selectbox(key="filter-thread").select("").run()  # all campaigns
    at.selectbox(key="filter-event").select("campaign.started").run()
    assert "thread" not in at.query_params
    table = frame(at, "Event")
    assert set(table["Campaign"]) == {first["thread_id"][:8], second["thread_id"][:8]}

    at.selectbox(key="filter-actor").select("ann").run()
    assert "No audit" not in texts(at)
    assert "0 entries shown" in texts(at)  # ann started nothing


def test_verify_the_audit_chain_and_download_it(
    ui_home: Path, seeded: Signoff, monkeypatch: pytest.MonkeyPatch
) -> None:
    start(seeded)
    buffer = io.StringIO()
    rows = seeded.audit_csv(buffer)
    built: list[int] = []  # the page's runs build no CSV; a click does
    export = Signoff.audit_csv
    monkeypatch.setattr(
        Signoff, "audit_csv", lambda self, dest: built.append(1) or export(self, dest)
    )
    offered: list[Any] = []  # what Streamlit runs when someone clicks the button
    defer = MediaFileManager.add_deferred
    monkeypatch.setattr(
        MediaFileManager,
        "add_deferred",
        lambda self, data, *a, **k: offered.append(data) or defer(self, data, *a, **k),
    )
    at = open_app(ACTIVITY)
    assert not at.dataframe and not at.get("download_button")  # only the open tab is drawn
    at = open_tab(at, "Audit log")
    [download] = at.get("download_button")
    assert download.label == "Download CSV"
    assert download.proto.deferred_file_id  # the CSV is served by the app, built on a click
    assert built == []
    assert offered[-1]() == buffer.getvalue()  # the same content as before, every entry
    assert built == [1]

    at.button(key="verify-audit").click().run()
    assert not at.exception
    assert f"The audit chain is intact: {rows} entries checked" in at.success[0].value

    # Someone edits entry 3 behind Signoff's back (dropping the append-only trigger first).
    with sqlite3.connect(ui_home / "signoff.db") as conn:
        conn.execute("DROP TRIGGER audit_append_only_update")
        conn.execute("UPDATE audit SET actor = 'mallory' WHERE seq = 3")
    at.button(key="verify-audit").click().run()
    assert not at.exception
    [error] = at.error
    assert "The audit chain is broken at entry #3" in error.value


# -- Autonomy ---------------------------------------------------------------------------------
@pytest.fixture
def quick_promotion(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, ui_home: Path) -> Path:
    """No holds, and a promotion suggested after 3 clean approvals (for the app and `seeded`)."""
    path = write_policy(tmp_path / "quick.yaml", promotes_quickly)
    monkeypatch.setenv("SIGNOFF_POLICY", str(path))
    return path


def test_autonomy_shows_levels_record_and_promotes_on_confirm(
    ui_home: Path,
    quick_promotion: Path,
    seeded: Signoff,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for _ in range(4):
        result = start(seeded, channels=["email"])
        seeded.decide(result["pending"][0]["id"], {"type": "approve"}, by="ann")
    at = open_app(AUTONOMY)
    assert not at.exception
    card = element(at, "autonomy-send_email-email")
    assert card is not None
    approved = [m.value for m in at.metric if m.label == "Approved as drafted"]
    assert approved[0] == "4" and set(approved[1:]) == {"0"}  # send_email's card comes first
    assert len(at.get("vega_lite_chart")) >= 1  # the track record, stacked per day
    assert "4 of 4 decisions went out as drafted (100%)" in texts(at)
    assert "Suggested: move to earned" in texts(at)
    assert "100% approved without edits" in texts(at)
    assert "promote-send_email-email" in keys(at)
    assert "promote-publish_post-social" not in keys(at)  # no record, no suggestion

    monkeypatch.setenv("SIGNOFF_USER", "dee")  # who runs the page (local mode)
    at.button(key="promote-send_email-email").click().run()
    assert not at.exception
    assert "Promoted send_email on email to earned, confirmed by dee" in at.success[0].value
    row = next(r for r in seeded.autonomy() if r["action"] == "send_email")
    assert row["level"] == "earned" and row["by"] == "dee"
    assert "promote-send_email-email" not in keys(at)
    assert "At the policy's maximum" in texts(at)  # earned is send_email's cap


def test_routing_table_shows_the_policy(ui_home: Path) -> None:
    at = open_app(AUTONOMY)
    assert not at.exception
    table = frame(at, "Supervised")
    rows = {r["Action"]: r for r in table.to_dict("records")}
    assert rows["Send email"]["Supervised"] == "Wait for a person"
    assert rows["Like a post"]["Monitored"] == "Run and log"
    assert rows["Publish web page"]["Earned"] == "Run, then tell you"
    assert rows["Spend on ads"]["Hard limits"] == "200 EUR a day, 1000 EUR a campaign"
    assert rows["Like a post"]["Hard limits"] == "50 a day"
    assert f"Policy **{shipped()['version']}**" in texts(at)
    assert ".yaml" not in texts(at)  # the file is one hover away
    [line] = [c for c in at.caption if "Policy **" in c.value]
    assert ".yaml" in line.help


def test_simulate_a_pasted_or_uploaded_policy(ui_home: Path, seeded: Signoff) -> None:
    result = start(seeded)
    for item in result["pending"]:
        decision = (
            {"type": "reject", "reason": "Off-brand"}
            if item["action"] == "publish_post"
            else {"type": "approve"}
        )
        seeded.decide(item["id"], decision, by="ann")
    candidate = shipped()
    candidate["actions"]["publish_post"]["risk"] = "low"
    text = yaml.safe_dump(candidate, sort_keys=False)

    at = open_app(AUTONOMY)
    at.text_area(key="sim-yaml").input(text)
    at.button(key="sim-run").click().run()
    assert not at.exception
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Decisions replayed"] == "2" and metrics["Reviews saved"] == "1"
    assert metrics["Reviews today"] == "2" and metrics["Reviews with the candidate"] == "1"
    [warning] = at.warning
    assert "let 1 action through without a person, 1 of them edited" in warning.value
    through = frame(at, "What a person did")
    assert list(through["What a person did"]) == ["rejected"]
    assert list(through["Action"])[0].startswith("publish_post")

    at.text_area(key="sim-yaml").input("")  # an uploaded file works the same way
    at.file_uploader(key="sim-file").upload("candidate.yaml", text.encode(), "application/yaml")
    at.button(key="sim-run").click().run()
    assert {m.label: m.value for m in at.metric}["Reviews saved"] == "1"

    at.file_uploader(key="sim-file").clear()
    at.text_area(key="sim-yaml").input("version: x\nactions: [")
    at.button(key="sim-run").click().run()
    assert not at.exception and at.error  # says what is wrong with the YAML
    assert not [m for m in at.metric if m.label == "Reviews saved"]


def test_every_action_type_has_its_card(ui_home: Path, seeded: Signoff) -> None:
    at = open_app(AUTONOMY)
    assert not at.exception
    rows = seeded.autonomy()
    assert len(rows) == len(shipped()["actions"])
    for row in rows:
        element(at, f"autonomy-{row['action']}-{row['channel']}")
    assert "No track record yet" in texts(at)
    assert not at.get("vega_lite_chart")
