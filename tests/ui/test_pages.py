"""The three pages under AppTest: rendered from persisted state, decisions applied once."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from fakes import ScriptedChatModel
from ui_support import BRIEF, PageWorker, keys, maildir, open_app, runs, texts

from graphs.errors import RunStopped
from graphs.runtime import Signoff, strip_citations
from ui.components import model_state

INBOX = "views/inbox.py"
NEW = "views/new_campaign.py"
CAMPAIGN = "views/campaign.py"


def feed(home: Path) -> list[dict[str, Any]]:
    path = home / "feed.jsonl"
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


def start(seeded: Signoff) -> tuple[str, dict[str, Any], dict[str, Any]]:
    result = seeded.start(dict(BRIEF))
    by_action = {p["action"]: p for p in result["pending"]}
    return result["thread_id"], by_action["send_email"], by_action["publish_post"]


# -- navigation -------------------------------------------------------------------------------
def test_home_opens_new_campaign_first_then_the_inbox(ui_home: Path, seeded: Signoff) -> None:
    at = open_app()
    assert not at.exception
    assert at.title[0].value == "New campaign"
    start(seeded)
    at = open_app()
    assert not at.exception
    assert at.title[0].value == "Inbox"


# -- new campaign -----------------------------------------------------------------------------
def test_new_campaign_form_is_ready_to_start(
    ui_home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))  # no model server here
    # the sidebar keeps the model's state 2 s: an earlier test's page may have read a model
    # server this machine runs (a `make run` beside the tests) under the real cache folder
    model_state._status.clear()
    at = open_app(NEW)
    assert not at.exception
    assert at.text_input(key="product").value.startswith("Brightloop 2")
    assert at.text_input(key="audience").value
    assert at.text_input(key="goal").value
    assert at.text_input(key="to").value == "customers@example.com"
    assert at.button(key="start").label == "Start campaign"
    # the sidebar says whether the model is ready, and which model drafts
    [line] = [c for c in at.sidebar.caption if "Model not running yet" in c.value]
    assert "Qwen2.5-Coder-0.5B" in line.help


def test_new_campaign_start_streams_progress_and_fills_the_inbox(
    ui_home: Path, app_model: ScriptedChatModel, seeded: Signoff, page_worker: PageWorker
) -> None:
    at = open_app(NEW)
    at.text_input(key="audience").input("Renters in cold flats")
    at.button(key="start").click().run()  # queued; the worker drafts; the page redraws
    assert not at.exception
    assert [j["kind"] for j in page_worker.ran] == ["start"]
    assert app_model.calls, "the app's worker must draft through the model seam"
    assert at.status[0].label.startswith("Researching and drafting — done in")
    page = texts(at)
    assert "Found 6 passages" in page
    # each action as it is drafted, with its elapsed seconds
    assert "Drafted the email in " in page and "Drafted the social post in " in page
    [campaign] = seeded.campaigns()
    assert campaign["brief"]["audience"] == "Renters in cold flats"
    assert {p["action"] for p in seeded.pending()} == {"send_email", "publish_post"}
    links = {link.value for link in at.page_link}
    assert {"Review in the Inbox", "Open the campaign"} <= links
    assert campaign["thread_id"][:8] in page


def test_new_campaign_is_queued_and_the_page_shows_the_wait(
    ui_home: Path, app_model: ScriptedChatModel, seeded: Signoff, page_worker: PageWorker
) -> None:
    """The page records and enqueues; it never runs the graph or waits on the model."""
    page_worker.enabled = False  # no worker yet
    at = open_app(NEW)
    at.text_input(key="audience").input("Renters in cold flats")
    at.button(key="start").click().run()
    assert not at.exception
    assert app_model.calls == []  # the page drafted nothing
    [campaign] = seeded.campaigns()
    assert campaign["status"] == "running" and seeded.pending() == []
    [job] = seeded.store.jobs()
    assert (job["kind"], job["status"], job["thread_id"]) == (
        "start",
        "queued",
        campaign["thread_id"],
    )
    assert runs(at)[0] == "Researching and drafting — waiting its turn"
    page = texts(at)
    assert "No background worker is running" in page
    assert "being drafted in the background" in page
    page_worker.enabled = True  # a worker starts: the run is drafted, the page shows the drafts
    at.run()
    assert app_model.calls and len(seeded.pending()) == 2
    assert "2 actions waiting for your sign-off" in texts(at)


def test_new_campaign_bad_input_says_why_and_keeps_the_form(
    ui_home: Path, app_model: ScriptedChatModel, seeded: Signoff
) -> None:
    at = open_app(NEW)
    at.text_input(key="product").input("")
    at.text_input(key="audience").input("Landlords")
    at.text_input(key="to").input("not-an-address")
    at.button(key="start").click().run()
    assert not at.exception
    [error] = at.error
    assert "'product' is missing" in error.value and "'to' must be an email address" in error.value
    assert at.text_input(key="audience").value == "Landlords"
    assert at.text_input(key="to").value == "not-an-address"
    assert seeded.campaigns() == [] and not app_model.calls


def test_ads_without_a_budget_names_the_forms_field(
    ui_home: Path, app_model: ScriptedChatModel, seeded: Signoff
) -> None:
    at = open_app(NEW)
    at.multiselect(key="channels").set_value(["email", "ads"])
    at.button(key="start").click().run()
    assert not at.exception
    [error] = at.error
    assert "Ads need a budget" in error.value and "in Ad budget" in error.value
    assert "ad_budget" not in error.value and "'ads'" not in error.value
    assert seeded.campaigns() == [] and not app_model.calls
    currency = seeded.policy.action("spend_ads").limits["currency"]
    assert at.number_input(key="ad_budget").label == f"Ad budget ({currency})"


# -- inbox ------------------------------------------------------------------------------------
def test_empty_inbox_points_to_new_campaign(ui_home: Path) -> None:
    at = open_app(INBOX)
    assert not at.exception
    assert "Nothing is waiting for you" in texts(at)
    assert [link.value for link in at.page_link] == ["Start a new campaign", "Scheduled"]


def test_inbox_shows_one_card_per_pending_action(ui_home: Path, seeded: Signoff) -> None:
    thread, email, post = start(seeded)
    at = open_app(INBOX)
    assert not at.exception
    for item in (email, post):
        card = at.get_by_key(f"card-{item['id']}")
        assert card is not None
        for kind in ("approve", "edit", "revise", "reject"):
            assert f"{kind}-{item['id']}" in keys(at)
    page = texts(at)
    assert "Send email" in page and "Publish social post" in page
    assert "High risk" in page
    assert "customers@example.com" in page and email["args"]["subject"] in page
    # the draft as it will appear: From and To, no citation marks; each fact sentence checked
    assert "From" in page and "[1]" not in page
    bodies = [t.value for t in at.text]
    assert strip_citations(email["args"]["body"]).strip() in bodies
    assert "Facts, sentence by sentence" in page and "found in" in page
    assert "waits for your sign-off" in page  # the gate's reasons
    assert "Expires in 6 d 23 h" in page  # a high-risk review expires after 7 days
    assert "held 5 min on the Scheduled page" not in page  # no holds in this policy
    # the effective confidence (the email's first contact with this audience lowers it)
    # (the cards in the order their drafts were ready: each action is drafted on its own branch)
    assert sorted(p.value for p in at.progress) == sorted(
        int(i["confidence"] * 100) for i in (email, post)
    )
    assert email["confidence"] < post["confidence"]
    quoted = [c for c in email["claim_checks"] if c.get("quote")]
    assert quoted, email["claim_checks"]
    for check in email["claim_checks"]:  # each claim checked (once: tests/ui/test_card_once.py)
        assert check["supported"] and check["text"] in page
    helps = " ".join(str(c.proto.help) for c in at.caption)
    for check in quoted:  # the quote it comes from, on hover
        assert check["quote"] in helps
    titles = {s.name: s.title for s in seeded.kb.sources()}
    for entry in email["evidence"]:  # by the document's title, never its file name
        for source in entry["sources"]:
            assert f"{titles[source['source']]} › {source['location']}" in page
            assert source["source"] not in page
    assert not any(c.key and c.key.startswith("checked-") for c in at.checkbox)
    assert any(thread[:8] in link.value for link in at.page_link)


def test_unsupported_claims_are_flagged(ui_home: Path, seeded: Signoff) -> None:
    seeded.context.model = ScriptedChatModel(
        script=[
            {
                "subject": "Save big",
                "body": "The Brightloop 2 costs $19 today only. Order yours before midnight and keep your home warm all winter long. Reply to this email.",
            }
        ]
        * 3  # the first draft and both AI review rounds
    )
    thread, email, post = start(seeded)
    at = open_app(INBOX)
    assert not at.exception
    warnings = [w.value.replace("\\", "") for w in at.warning]
    # each warning once: the claim's own warning, not a second copy beside it
    assert sum("$19" in w for w in warnings) == 1
    assert any(
        "Not supported:" in w and "says $19; the fact sheet says $149" in w for w in warnings
    )
    assert "costs $19 today only" in texts(at)  # the sentence itself, highlighted on the card
    # the sentence checks and the claims list do not both say it: once on the whole card
    assert texts(at).count("the fact sheet says $149") == 1
    assert "below the 50% needed" in texts(at)
    # Approving needs "I checked these claims": the button waits for the box.
    assert at.button(key=f"approve-{email['id']}").disabled
    assert not at.button(key=f"approve-{post['id']}").disabled
    at.checkbox(key=f"checked-{email['id']}").check().run()
    assert not at.button(key=f"approve-{email['id']}").disabled
    at.button(key=f"approve-{email['id']}").click().run()
    assert not at.exception
    assert len(maildir(ui_home)) == 1
    [decision] = seeded.campaign(thread)["decisions"]
    assert decision["decision"]["checked"] is True
    [recorded] = seeded.activity(event="decision.recorded")
    assert recorded["detail"]["checked_unsupported"] == ["The Brightloop 2 costs $19 today only."]


def test_approve_sends_once_and_the_card_goes(
    ui_home: Path, seeded: Signoff, monkeypatch: pytest.MonkeyPatch, page_worker: PageWorker
) -> None:
    thread, email, post = start(seeded)
    at = open_app(INBOX)
    monkeypatch.setenv("SIGNOFF_USER", "ann")  # who runs the page (local mode)
    page_worker.enabled = False  # the click records the decision and queues the send
    at.button(key=f"approve-{email['id']}").click().run()
    assert not at.exception
    assert "goes out in a moment" in at.info[0].value
    assert maildir(ui_home) == [] and f"approve-{email['id']}" not in keys(at)
    assert runs(at)[0] == "Carrying out your decisions — waiting its turn"
    page_worker.enabled = True  # the worker sends it; the page redraws
    at.run()
    assert not at.exception
    [message] = maildir(ui_home)
    assert message["Subject"] == email["args"]["subject"]
    assert f"approve-{email['id']}" not in keys(at)
    assert f"approve-{post['id']}" in keys(at)
    assert [j["kind"] for j in page_worker.ran] == ["apply"]
    assert "Delivered to the Maildir outbox" in at.success[0].value  # said once it went out
    [decision] = seeded.campaign(thread)["decisions"]
    assert decision["by"] == "ann" and decision["decision"]["type"] == "approve"
    assert not decision["decision"].get("checked")


def test_reject_sends_nothing(ui_home: Path, seeded: Signoff) -> None:
    thread, email, post = start(seeded)
    at = open_app(INBOX)
    at.button(key=f"reject-{post['id']}").click().run()
    at.selectbox(key=f"reject-reason-{post['id']}").select("Inaccurate claim")
    at.text_input(key=f"reject-comment-{post['id']}").input("The price is wrong")
    at.button(key=f"reject-confirm-{post['id']}").click().run()
    assert not at.exception
    assert feed(ui_home) == [] and maildir(ui_home) == []
    assert f"approve-{post['id']}" not in keys(at)
    c = seeded.campaign(thread)
    assert c["executed"] == []
    [outcome] = c["outcomes"]
    assert outcome["status"] == "rejected"
    assert outcome["detail"] == {"reason": "Inaccurate claim", "comment": "The price is wrong"}


def test_reject_records_only_what_the_person_chose(ui_home: Path, seeded: Signoff) -> None:
    thread, email, post = start(seeded)
    at = open_app(INBOX)
    at.button(key=f"reject-{post['id']}").click().run()
    assert at.selectbox(key=f"reject-reason-{post['id']}").value is None  # none preselected
    at.text_input(key=f"reject-comment-{post['id']}").input("Too salesy")
    at.button(key=f"reject-confirm-{post['id']}").click().run()
    assert not at.exception
    assert seeded.campaign(thread)["outcomes"] == []  # nothing recorded yet
    assert f"approve-{post['id']}" in keys(at)
    assert (
        "Pick a reason first: Off-brand, Inaccurate claim, Wrong audience, Bad timing or Other."
        in texts(at)
    )
    assert at.text_input(key=f"reject-comment-{post['id']}").value == "Too salesy"  # kept
    at.button(key=f"reject-{post['id']}").click().run()  # closed and opened again: no warning
    at.button(key=f"reject-{post['id']}").click().run()
    assert "Pick a reason first" not in texts(at)
    at.text_input(key=f"reject-comment-{post['id']}").input("Too salesy")
    at.selectbox(key=f"reject-reason-{post['id']}").select("Other")
    at.button(key=f"reject-confirm-{post['id']}").click().run()
    assert not at.exception
    [outcome] = seeded.campaign(thread)["outcomes"]
    assert outcome["detail"] == {"reason": "Other", "comment": "Too salesy"}
    assert "Off-brand" not in texts(open_app(CAMPAIGN, thread=thread))


def test_edit_sends_the_edited_version(ui_home: Path, seeded: Signoff) -> None:
    thread, email, post = start(seeded)
    at = open_app(INBOX)
    at.button(key=f"edit-{email['id']}").click().run()
    assert at.text_input(key=f"edit-subject-{email['id']}").value == email["args"]["subject"]
    # the edit box holds the text as it goes out: no citation marks
    assert (
        at.text_area(key=f"edit-body-{email['id']}").value
        == strip_citations(email["args"]["body"]).strip()
    )
    at.text_input(key=f"edit-subject-{email['id']}").input("Warmer home, smaller bill")
    at.button(key=f"edit-save-{email['id']}").click().run()
    assert not at.exception
    [message] = maildir(ui_home)
    assert message["Subject"] == "Warmer home, smaller bill"
    assert message.get_payload(decode=True).decode().strip() == strip_citations(
        email["args"]["body"]
    )
    [row] = seeded.campaign(thread)["executed"]
    assert row["args"]["subject"] == "Warmer home, smaller bill"


def test_invalid_edit_is_refused_and_the_card_stays(ui_home: Path, seeded: Signoff) -> None:
    thread, email, post = start(seeded)
    at = open_app(INBOX)
    at.button(key=f"edit-{email['id']}").click().run()
    at.text_input(key=f"edit-to-{email['id']}").input("nobody")
    at.button(key=f"edit-save-{email['id']}").click().run()
    assert not at.exception
    assert at.error and "Nothing was saved" in at.error[0].value
    assert f"approve-{email['id']}" in keys(at)
    assert maildir(ui_home) == [] and seeded.campaign(thread)["decisions"] == []


def test_send_back_brings_a_redraft(
    ui_home: Path, seeded: Signoff, app_model: ScriptedChatModel
) -> None:
    thread, email, post = start(seeded)
    at = open_app(INBOX)
    at.button(key=f"revise-{post['id']}").click().run()
    at.text_area(key=f"revise-feedback-{post['id']}").input("Mention the room sensors")
    at.button(key=f"revise-send-{post['id']}").click().run()
    assert not at.exception
    assert app_model.calls and "Mention the room sensors" in app_model.calls[-1]["prompt"]
    [redraft] = [p for p in seeded.pending(thread) if p["action"] == "publish_post"]
    assert redraft["id"] != post["id"] and redraft["revision"] == 1
    assert f"approve-{redraft['id']}" in keys(at)
    assert f"approve-{post['id']}" not in keys(at)
    page = texts(at)
    assert "Revised: " in page and redraft["args"]["text"].startswith("Revised: ")
    assert "Redraft #1" in page and "Mention the room sensors" in page
    assert feed(ui_home) == []


def test_a_stale_second_approve_says_already_decided(
    ui_home: Path, seeded: Signoff, monkeypatch: pytest.MonkeyPatch
) -> None:
    thread, email, post = start(seeded)
    tab_a, tab_b = open_app(INBOX), open_app(INBOX)
    monkeypatch.setenv("SIGNOFF_USER", "ann")  # who runs the page (local mode)
    tab_a.button(key=f"approve-{email['id']}").click().run()
    tab_b.button(key=f"approve-{email['id']}").click().run()  # the card is stale in this tab
    assert not tab_a.exception and not tab_b.exception
    [info] = tab_b.info
    assert "already decided by ann at" in info.value.lower()
    assert len(maildir(ui_home)) == 1
    assert f"approve-{email['id']}" not in keys(tab_b)


# -- campaign ---------------------------------------------------------------------------------
def test_campaign_page_shows_status_and_what_went_out(ui_home: Path, seeded: Signoff) -> None:
    thread, email, post = start(seeded)
    seeded.decide(email["id"], {"type": "approve"}, by="ann")
    seeded.decide(post["id"], {"type": "reject", "reason": "Bad timing"}, by="bob")
    at = open_app(CAMPAIGN, thread=thread)
    assert not at.exception
    assert at.query_params["thread"] == thread
    metrics = {m.label: m.value for m in at.metric}
    assert metrics == {"Waiting for you": "0", "Went out": "1", "Rejected": "1", "Decisions": "2"}
    page = texts(at)
    assert "Done" in page and BRIEF["product"] in page
    [row] = seeded.campaign(thread)["executed"]
    assert at.get_by_key(f"executed-{row['key'][:16]}") is not None
    assert "Delivered to the local outbox folder" in page
    assert str(ui_home / "maildir") not in page and row["key"] not in page  # marketer's words
    helps = " ".join(str(c.proto.help) for c in at.caption)  # the details, for whoever runs it
    assert str(ui_home / "maildir") in helps and row["key"] in helps
    assert "Social post rejected: **Bad timing**" in page
    decisions = at.table[0].value
    assert list(decisions["Who"]) == ["ann", "bob"]
    assert list(decisions["Decision"]) == ["Approved", "Rejected"]
    assert list(decisions["Action"]) == ["Email", "Social post"]
    assert len(at.get("graphviz_chart")) == 1  # where each action stands
    at.toggle(key="campaign-draw-graph").set_value(True).run()  # the agent's graph, on request
    assert len(at.get("graphviz_chart")) == 2
    assert any(e.label.startswith("Audit trail") for e in at.expander)


def test_campaign_page_waiting_links_to_the_inbox(ui_home: Path, seeded: Signoff) -> None:
    thread, email, post = start(seeded)
    at = open_app(CAMPAIGN, thread=thread)
    assert not at.exception
    assert "Waiting for you" in texts(at)
    assert "Decide in the Inbox" in [link.value for link in at.page_link]
    assert {m.label: m.value for m in at.metric}["Waiting for you"] == "2"


def test_campaign_picker_writes_the_url(ui_home: Path, seeded: Signoff) -> None:
    first, _, _ = start(seeded)
    second, _, _ = start(seeded)
    at = open_app(CAMPAIGN)  # no ?thread=: the newest campaign, written into the URL
    assert at.query_params["thread"] == second
    at.selectbox(key="campaign-pick").select(first).run()
    assert not at.exception
    assert at.query_params["thread"] == first
    assert first[:8] in texts(at)  # the page shows the short id, the full one on hover
    assert any(first in (c.help or "") for c in at.caption)


def test_campaign_page_unknown_thread_says_so(ui_home: Path, seeded: Signoff) -> None:
    start(seeded)
    at = open_app(CAMPAIGN, thread="nope")
    assert not at.exception
    [error] = at.error
    assert "Signoff has no campaign at this address" in error.value
    assert "Pick a campaign in the Campaign box above" in error.value  # where to find them
    assert "signoff campaigns" not in texts(at) and "'nope'" not in texts(at)  # no command, id


def test_campaign_page_without_campaigns(ui_home: Path) -> None:
    at = open_app(CAMPAIGN)
    assert not at.exception
    assert "No campaigns yet" in texts(at)


def test_a_stopped_campaign_can_be_retried(
    ui_home: Path, seeded: Signoff, app_model: ScriptedChatModel
) -> None:
    def model_down(schema: Any, prompt: str) -> dict[str, Any]:
        raise RuntimeError("the model server went away")

    seeded.context.model = ScriptedChatModel(script=[model_down])
    with pytest.raises(RunStopped):
        seeded.start(dict(BRIEF))
    [campaign] = seeded.campaigns()
    thread = campaign["thread_id"]
    assert campaign["status"] == "error"
    at = open_app(CAMPAIGN, thread=thread)
    assert not at.exception
    assert "Needs attention" in texts(at) and "Something went wrong while drafting" in texts(at)
    assert "the model server went away" in " ".join(str(c.proto.help) for c in at.caption)
    at.button(key=f"retry-{thread}").click().run()
    assert not at.exception
    assert app_model.calls
    assert {p["action"] for p in seeded.pending(thread)} == {"send_email", "publish_post"}
    assert f"retry-{thread}" not in keys(at)
    assert {m.label: m.value for m in at.metric}["Waiting for you"] == "2"


def test_new_campaign_model_failure_is_shown_not_raised(
    ui_home: Path, seeded: Signoff, monkeypatch: Any
) -> None:
    import graphs.model

    def broken(**_: Any) -> Any:
        raise RuntimeError("no model configured")

    monkeypatch.setattr(graphs.model, "load_chat_model", broken)
    at = open_app(NEW)
    at.button(key="start").click().run()
    assert not at.exception
    assert "No writing model is set up" in at.error[0].value  # in a marketer's words
    assert "no model configured" in " ".join(str(c.proto.help) for c in at.caption)  # detail
    assert at.status[0].state == "error"
    [campaign] = seeded.campaigns()
    assert campaign["status"] == "error"


def test_an_edit_is_checked_again_before_it_can_go_out(ui_home: Path, seeded: Signoff) -> None:
    thread, email, post = start(seeded)
    at = open_app(INBOX)
    at.button(key=f"edit-{post['id']}").click().run()
    box = at.text_area(key=f"edit-text-{post['id']}")
    assert "[1]" not in box.value  # the text as it goes out
    assert f"{len(box.value)} / 500 characters" in texts(at)  # counted against the limit
    # a wrong price typed in: shown as a finding of the edit, not sent
    edited = "The Brightloop 2 costs $89 this week. Order today."
    box.input(edited)
    at.button(key=f"edit-save-{post['id']}").click().run()
    assert not at.exception
    assert feed(ui_home) == []
    page = texts(at)
    assert "says $89; the fact sheet says $149" in page
    assert f"{len(edited)} / 500 characters" in page
    # once seen, it still needs the person's check before it can go out
    at.button(key=f"edit-save-{post['id']}").click().run()
    assert feed(ui_home) == []
    at.checkbox(key=f"edit-checked-{post['id']}").check().run()
    at.button(key=f"edit-save-{post['id']}").click().run()
    assert not at.exception
    [published] = feed(ui_home)
    assert published["text"] == edited
