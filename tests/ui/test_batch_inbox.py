"""The Inbox with batches (one email per recipient of an audience list), expiry, the sends in
doubt and the failed ones; and the New campaign page's audience list and engagement.

Every submission is one `decide_many` call: a spy on the class counts them.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from cli_support import crash_after_claim
from fakes import ScriptedChatModel
from policy_support import drop_holds, write_policy
from streamlit.testing.v1 import AppTest
from support import free_port
from ui_support import BRIEF, keys, maildir, open_app, present, texts

from graphs.runtime import Signoff

INBOX = "views/inbox.py"
NEW = "views/new_campaign.py"
CONTACTS = [
    {"email": f"{name.lower()}@example.com", "name": name, "company": company}
    for name, company in [("Ann", "Acme"), ("Bob", "Bolt"), ("Cy", "Cork"), ("Dee", "Dune")]
]


@pytest.fixture
def submissions(monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    """Every submission the app makes: the decisions a `decide_many` call was given, or a whole
    batch's one decision (`decide_batch`: the batch, the decision, the drafts it leaves out).
    Each decision the page sends itself must carry the hash of the version the page showed
    (`seen`); it is checked here and left out of what the tests compare."""
    calls: list[dict[str, Any]] = []
    real = Signoff.decide_many
    real_batch = Signoff.decide_batch
    inside: list[bool] = []

    def spy(self: Signoff, decisions: dict[str, Any], **kw: Any) -> Any:
        shown = {p["id"]: p["content_hash"] for p in self.pending()}
        for item_id, decision in decisions.items():
            # "approve all" / "the rest" are one decision on the batch (the page never loads
            # the batch), so only the decisions the page itself sends carry `seen`
            if "seen" in decision:
                assert decision["seen"] == shown.get(item_id), "the page sent another version"
        if not inside:
            calls.append(
                {i: {k: v for k, v in d.items() if k != "seen"} for i, d in decisions.items()}
            )
        return real(self, decisions, **kw)

    def spy_batch(
        self: Signoff, thread: str, batch: str, decision: dict[str, Any], **kw: Any
    ) -> Any:
        calls.append(
            {
                "batch": batch,
                "decision": decision,
                "exclude": sorted(kw.get("exclude") or []),
                "checked": bool(kw.get("checked")),
            }
        )
        inside.append(True)
        try:
            return real_batch(self, thread, batch, decision, **kw)
        finally:
            inside.pop()

    monkeypatch.setattr(Signoff, "decide_many", spy)
    monkeypatch.setattr(Signoff, "decide_batch", spy_batch)
    return calls


def whole(exclude: list[str] | None = None, checked: bool = False) -> dict[str, Any]:
    """The submission of "approve all" (or "the rest", leaving out `exclude`)."""
    return {
        "batch": "audience",
        "decision": {"type": "approve"},
        "exclude": sorted(exclude or []),
        "checked": checked,
    }


def batch_of(seeded: Signoff, contacts: list[dict[str, str]] = CONTACTS) -> tuple[str, list[Any]]:
    result = seeded.start({**BRIEF, "channels": ["email"]}, audience=contacts)
    emails = [p for p in result["pending"] if p["action"] == "send_email"]
    assert len(emails) == len(contacts) and len({e["batch"] for e in emails}) == 1
    # in the audience's order (each contact's draft is its own branch: they arrive in any order)
    order = [c["email"] for c in contacts]
    emails.sort(key=lambda e: order.index(e["args"]["to"]))
    return result["thread_id"], emails


def batch_key(thread: str, item: dict[str, Any]) -> str:
    return f"{thread[:8]}-{item['batch']}"


def recipients(home: Path) -> list[str]:
    return sorted(str(m["To"]) for m in maildir(home))


# -- a batch ----------------------------------------------------------------------------------
def test_a_batch_is_one_group_with_one_approve_all(
    ui_home: Path, seeded: Signoff, submissions: list[Any]
) -> None:
    thread, emails = batch_of(seeded)
    batch = batch_key(thread, emails[0])
    at = open_app(INBOX)
    assert not at.exception
    assert present(at, f"batch-{batch}")
    assert not any(present(at, f"card-{e['id']}") for e in emails)  # rows, not cards
    page = texts(at)
    assert "Send email × 4" in page and "Batch of 4" in page
    assert "4 drafts of this batch wait for you" in page
    rows = " ".join(str(b.label) for b in at.button).replace("\\", "")
    for contact in CONTACTS:  # one row each (a button that opens it beside the list)
        assert contact["email"] in rows

    at.button(key=f"batch-approve-{batch}").click().run()
    assert not at.exception
    assert submissions == [whole()]  # one submission, one decision for the whole batch
    assert len(seeded.store.decisions(thread)) == 1
    assert "Approved 4 drafts in one go. 4 actions went out." in at.success[0].value
    assert recipients(ui_home) == [c["email"] for c in CONTACTS]
    assert seeded.pending() == []
    assert "Nothing is waiting for you" in texts(at)


def test_a_contact_is_not_sent_back_alone_but_the_template_is_for_all(
    ui_home: Path, seeded: Signoff, submissions: list[Any], app_model: Any
) -> None:
    """One draft for the whole audience, greeted by name: a contact's open email says it is
    never sent back on its own (Edit changes it for that contact only); the template is sent
    back with feedback for every contact, as ONE decision, and comes back as the same batch."""
    thread, emails = batch_of(seeded)
    batch = batch_key(thread, emails[0])
    at = open_app(INBOX)
    assert not at.exception
    assert "never sent back on its own" in texts(at) and "use Edit" in texts(at)
    at.button(key=f"batch-send-back-{batch}").click().run()  # no feedback: nothing is sent
    assert not at.exception and submissions == []
    assert "Say what the writer should change" in " ".join(str(w.value) for w in at.warning)
    at.text_area(key=f"batch-feedback-{batch}").set_value("Shorter, please.")
    at.button(key=f"batch-send-back-{batch}").click().run()
    assert not at.exception
    revise = {"type": "revise", "feedback": "Shorter, please."}
    assert submissions == [{**whole(), "decision": revise}]
    [decided] = seeded.store.decisions(thread)
    assert decided["decision"]["type"] == "revise"
    said = " ".join(str(m.value) for m in [*at.info, *at.success])
    # "the writer is redrafting the template…", or once its run ended, "the redraft … is in
    # your inbox"
    assert "Sent back — the" in said and "template of Send email" in said, said
    assert "4 contacts" in said, said
    redrafted = [p for p in seeded.pending() if p["action"] == "send_email"]
    assert len(redrafted) == 4 and {p["revision"] for p in redrafted} == {1}


def test_select_some_then_the_rest_goes_when_the_batch_is_decided(
    ui_home: Path, seeded: Signoff, submissions: list[Any]
) -> None:
    thread, emails = batch_of(seeded)
    batch = batch_key(thread, emails[0])
    ann, bob, cy, dee = emails
    at = open_app(INBOX)
    at.checkbox(key=f"select-{ann['id']}").check()
    at.checkbox(key=f"select-{bob['id']}").check().run()
    assert at.button(key=f"batch-approve-selected-{batch}").label == "Approve selected (2)"
    at.button(key=f"batch-approve-selected-{batch}").click().run()
    assert not at.exception
    assert submissions[-1] == {ann["id"]: {"type": "approve"}, bob["id"]: {"type": "approve"}}
    assert "2 wait for the rest of their batch" in at.success[0].value
    assert maildir(ui_home) == []  # nothing in a batch goes out until all of it is decided
    assert {p["id"] for p in seeded.pending()} == {cy["id"], dee["id"]}
    assert "Send email × 2" in texts(at)

    at.checkbox(key=f"select-{cy['id']}").check().run()
    at.selectbox(key=f"batch-reject-reason-{batch}").select("Wrong audience")
    at.button(key=f"batch-reject-selected-{batch}").click().run()
    assert submissions[-1] == {
        cy["id"]: {"type": "reject", "reason": "Wrong audience", "comment": ""}
    }
    assert maildir(ui_home) == []
    at.button(key=f"batch-approve-{batch}").click().run()  # the last one: the batch goes out
    assert not at.exception
    assert len(submissions) == 3
    assert recipients(ui_home) == ["ann@example.com", "bob@example.com", "dee@example.com"]
    outcomes = {o["action_id"]: o["status"] for o in seeded.campaign(thread)["outcomes"]}
    assert outcomes[cy["action_id"]] == "rejected"


def test_reject_selected_records_only_the_reason_picked(
    ui_home: Path, seeded: Signoff, submissions: list[Any]
) -> None:
    thread, emails = batch_of(seeded)
    batch = batch_key(thread, emails[0])
    at = open_app(INBOX)
    assert at.selectbox(key=f"batch-reject-reason-{batch}").value is None  # none preselected
    at.checkbox(key=f"select-{emails[0]['id']}").check().run()
    at.button(key=f"batch-reject-selected-{batch}").click().run()
    assert not at.exception
    assert submissions == []  # nothing recorded: the page asks for a reason
    assert "pick a reason first: Off-brand, Inaccurate claim" in at.warning[0].value
    assert len(seeded.pending()) == len(emails)
    at.selectbox(key=f"batch-reject-reason-{batch}").select("Bad timing")
    at.button(key=f"batch-reject-selected-{batch}").click().run()
    assert submissions == [
        {emails[0]["id"]: {"type": "reject", "reason": "Bad timing", "comment": ""}}
    ]


def test_approve_selected_needs_a_selection(ui_home: Path, seeded: Signoff) -> None:
    thread, emails = batch_of(seeded)
    batch = batch_key(thread, emails[0])
    at = open_app(INBOX)
    assert at.button(key=f"batch-approve-selected-{batch}").disabled
    assert at.button(key=f"batch-reject-selected-{batch}").disabled


def test_review_a_sample_then_approve_the_rest(
    ui_home: Path, seeded: Signoff, submissions: list[Any]
) -> None:
    contacts = CONTACTS + [
        {"email": "eve@example.com", "name": "Eve", "company": "Elm"},
        {"email": "fay@example.com", "name": "Fay", "company": "Fir"},
    ]
    thread, emails = batch_of(seeded, contacts)
    batch = batch_key(thread, emails[0])
    at = open_app(INBOX)
    at.button(key=f"batch-sample-{batch}").click().run()
    assert not at.exception
    sample = [e for e in emails if present(at, f"card-{e['id']}")]
    assert len(sample) == 3  # three random drafts, each as a full card
    rest = [e for e in emails if e not in sample]
    assert "A random sample of 3" in texts(at)
    first, *others = sample
    at.button(key=f"reject-{first['id']}").click().run()
    at.selectbox(key=f"reject-reason-{first['id']}").select("Off-brand")
    at.button(key=f"reject-confirm-{first['id']}").click().run()
    assert not at.exception
    assert "goes out when the rest" not in at.success[0].value  # a rejection
    assert submissions[-1] == {
        first["id"]: {"type": "reject", "reason": "Off-brand", "comment": ""}
    }
    assert at.button(key=f"batch-approve-rest-{batch}").label == "Approve the rest (3)"
    at.button(key=f"batch-approve-rest-{batch}").click().run()
    assert not at.exception
    assert submissions[-1] == whole([e["id"] for e in others])  # the open sample is left out
    assert {p["id"] for p in seeded.pending()} == {e["id"] for e in others}
    assert {e["id"] for e in rest}.isdisjoint(p["id"] for p in seeded.pending())
    assert maildir(ui_home) == []  # two sample drafts are still undecided
    for item in others:
        at.button(key=f"approve-{item['id']}").click().run()
        assert not at.exception
    assert len(submissions) == 4
    assert recipients(ui_home) == sorted(e["args"]["to"] for e in emails if e is not first)
    assert seeded.pending() == []


def test_drafts_with_links_from_the_audience_file_are_never_the_rest(
    ui_home: Path, seeded: Signoff, submissions: list[Any]
) -> None:
    """Issue 11, finding 2: a contact's name carried a link into an email sent unseen."""
    contacts = CONTACTS + [
        {"email": f"r{n}@example.com", "name": f"R{n}", "company": "Rye"} for n in range(4)
    ]
    contacts += [
        {"email": "eve@example.com", "name": "https://evil.example/verify-your-account"},
        {"email": "fay@example.com", "name": "+1-900-555-0199 Fay", "company": "Fir"},
    ]
    thread, emails = batch_of(seeded, contacts)
    hostile = {e["id"] for e in emails if e["args"]["to"] in ("eve@example.com", "fay@example.com")}
    assert all(e["foreign_contacts"] for e in emails if e["id"] in hostile)
    batch = batch_key(thread, emails[0])
    at = open_app(INBOX)
    assert "carry links or contacts you did not give" in texts(at)
    at.button(key=f"batch-sample-{batch}").click().run()
    assert not at.exception
    sample = {e["id"] for e in emails if present(at, f"card-{e['id']}")}
    assert hostile <= sample  # always shown, as full cards
    at.button(key=f"batch-approve-rest-{batch}").click().run()
    assert not at.exception
    assert submissions[-1]["batch"] == "audience"
    assert hostile <= {p["id"] for p in seeded.pending()}  # never approved as "the rest"
    assert maildir(ui_home) == []


def test_edit_one_draft_of_a_batch(ui_home: Path, seeded: Signoff) -> None:
    thread, emails = batch_of(seeded)
    batch = batch_key(thread, emails[0])
    [bob] = [e for e in emails if e["args"]["to"] == "bob@example.com"]
    [ann] = [e for e in emails if e["args"]["to"] == "ann@example.com"]
    at = open_app(INBOX)
    at.button(key=f"open-{bob['id']}").click().run()  # open Bob's draft beside the list
    at.button(key=f"edit-{bob['id']}").click().run()
    at.text_input(key=f"edit-subject-{bob['id']}").input("Bob, a warmer home for less")
    at.button(key=f"edit-save-{bob['id']}").click().run()
    assert not at.exception
    assert "Recorded — Send email goes out when the rest of its batch is decided." in (
        at.info[0].value
    )
    at.button(key=f"batch-approve-{batch}").click().run()
    assert not at.exception
    subjects = {str(m["To"]): str(m["Subject"]) for m in maildir(ui_home)}
    assert subjects["bob@example.com"] == "Bob, a warmer home for less"
    assert subjects["ann@example.com"] == ann["args"]["subject"]


def test_batch_with_unsupported_claims_needs_the_check(
    ui_home: Path, seeded: Signoff, submissions: list[Any]
) -> None:
    seeded.context.model = ScriptedChatModel(
        script=[
            {
                "subject": "Save big",
                "body": "The Brightloop 2 costs $19 today only. Order yours before midnight and keep your home warm all winter long. Reply to this email.",
            }
        ]
        * 4
    )
    thread, emails = batch_of(seeded)
    assert all(e["needs_check"] for e in emails)
    batch = batch_key(thread, emails[0])
    at = open_app(INBOX)
    assert "4 drafts in this batch make claims the evidence does not support" in texts(at)
    assert at.button(key=f"batch-approve-{batch}").disabled
    at.checkbox(key=f"batch-checked-{batch}").check().run()
    at.button(key=f"batch-approve-{batch}").click().run()
    assert not at.exception
    assert submissions == [whole(checked=True)]
    [decided] = seeded.store.decisions(thread)
    assert decided["decision"]["checked"] is True
    assert len(maildir(ui_home)) == 4


# -- expiry -----------------------------------------------------------------------------------
def test_expiry_and_the_reminder_badge(
    ui_home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def soon(doc: dict[str, Any]) -> None:
        doc["expiry"].update(high=3600, remind_before=7200)  # a reminder from the start
        drop_holds(doc)

    monkeypatch.setenv("SIGNOFF_POLICY", str(write_policy(tmp_path / "soon.yaml", soon)))
    with Signoff(ui_home, model=ScriptedChatModel()) as seeded:
        result = seeded.start(dict(BRIEF))
    assert all(p["reminder"] for p in result["pending"])
    at = open_app(INBOX)
    assert not at.exception
    page = texts(at)
    assert page.count("Expires soon") == 2
    assert "Expires in 59 min" in page or "Expires in 1 h" in page


# -- sends in doubt and failed ----------------------------------------------------------------
def test_a_failed_send_is_shown_and_retried(ui_home: Path) -> None:
    smtp = f"smtp://127.0.0.1:{free_port()}"  # nothing listens there
    with Signoff(ui_home, model=ScriptedChatModel(), smtp_url=smtp) as broken:
        result = broken.start(dict(BRIEF))
        email = next(p for p in result["pending"] if p["action"] == "send_email")
        broken.decide(email["id"], {"type": "approve"}, by="ann")
        [failed] = broken.failed()
    at = open_app(INBOX)  # the app's own runtime delivers to the Maildir: the server is "back"
    assert not at.exception
    assert present(at, f"failed-{failed['key'][:16]}")
    assert "Send email failed" in texts(at)
    assert failed["error"] in texts(at)
    at.button(key=f"retry-action-{failed['key']}").click().run()
    assert not at.exception
    assert "Tried again — Send email." in at.success[0].value
    assert len(maildir(ui_home)) == 1
    assert f"retry-action-{failed['key']}" not in keys(at)


@pytest.mark.timeout(180)
def test_a_send_in_doubt_can_be_sent_again(ui_home: Path, seeded: Signoff) -> None:
    result = seeded.start(dict(BRIEF))
    email = next(p for p in result["pending"] if p["action"] == "send_email")
    smtp = f"smtp://127.0.0.1:{free_port()}"
    crash_after_claim(email["id"], smtp)  # on recovery the send is in doubt
    with Signoff(ui_home, model=ScriptedChatModel(), smtp_url=smtp, recover=False) as after_crash:
        assert after_crash.recover() == [email["id"]]
        [doubt] = after_crash.in_doubt()
    at = open_app(INBOX)
    assert not at.exception
    assert present(at, f"in-doubt-{doubt['key'][:16]}")
    assert "Send email may or may not have gone out" in texts(at)
    assert {f"mark-sent-{doubt['key']}", f"send-again-{doubt['key']}"} <= keys(at)
    at.button(key=f"send-again-{doubt['key']}").click().run()
    assert not at.exception
    assert "Sent again — Send email." in at.success[0].value
    assert len(maildir(ui_home)) == 1
    assert f"send-again-{doubt['key']}" not in keys(at)
    assert seeded.in_doubt() == []


# -- New campaign: audience list and engagement -----------------------------------------------
def csv_bytes(rows: list[dict[str, str]]) -> bytes:
    lines = ["email,name,company"] + [f"{r['email']},{r['name']},{r['company']}" for r in rows]
    return ("\n".join(lines) + "\n").encode()


def upload(at: AppTest, content: bytes, name: str = "audience.csv") -> AppTest:
    at.file_uploader(key="audience-file").upload(name, content, "text/csv")
    return at.run()


def test_new_campaign_with_an_audience_list(
    ui_home: Path, app_model: ScriptedChatModel, seeded: Signoff
) -> None:
    at = upload(
        open_app(NEW),
        csv_bytes(
            CONTACTS * 1
            + [{"email": f"x{i}@example.com", "name": f"X{i}", "company": "Co"} for i in range(3)]
        ),
    )
    assert not at.exception
    assert "7 recipients; the first 5:" in texts(at)
    [preview] = at.dataframe
    assert list(preview.value["email"]) == [c["email"] for c in CONTACTS] + ["x0@example.com"]
    at.button(key="start").click().run()
    assert not at.exception
    [campaign] = seeded.campaigns()
    emails = [p for p in seeded.pending() if p["action"] == "send_email"]
    assert len(emails) == 7 and {e["batch_size"] for e in emails} == {7}
    assert "ann@example.com" in {e["args"]["to"] for e in emails}
    [started] = seeded.activity(event="campaign.started")
    assert started["detail"]["audience"] == 7


def test_new_campaign_refuses_a_bad_audience_list(
    ui_home: Path, app_model: ScriptedChatModel, seeded: Signoff
) -> None:
    at = upload(open_app(NEW), b"email,name\nann@example.com,Ann\nnot-an-address,Bob\n")
    assert not at.exception
    [error] = at.error
    assert error.value.startswith("audience.csv: ") and "line 3" in error.value
    assert not at.dataframe
    at.button(key="start").click().run()
    assert not at.exception
    assert any("line 3" in e.value for e in at.error)
    assert seeded.campaigns() == [] and not app_model.calls  # nothing started


def test_new_campaign_with_engagement(
    ui_home: Path, app_model: ScriptedChatModel, seeded: Signoff
) -> None:
    at = open_app(NEW)
    at.text_area(key="engage").input("https://social.example/@ann/1\n\n@bob\n")
    at.multiselect(key="channels").set_value(["email"])
    at.button(key="start").click().run()
    assert not at.exception
    assert [p["action"] for p in seeded.pending()] == ["send_email"]
    assert {r["action"]: r["args"] for r in seeded.undoable()} == {
        "like_post": {"post": "https://social.example/@ann/1"},
        "follow_account": {"account": "@bob"},
    }


def test_new_campaign_refuses_a_bad_engage_line(
    ui_home: Path, app_model: ScriptedChatModel, seeded: Signoff
) -> None:
    at = open_app(NEW)
    at.text_area(key="engage").input("like this please")
    at.button(key="start").click().run()
    assert not at.exception
    assert "neither a post URL" in at.error[0].value
    assert seeded.campaigns() == [] and not app_model.calls


def test_batch_rows_are_one_line_per_contact_with_the_open_draft_beside(
    ui_home: Path, seeded: Signoff
) -> None:
    """Each contact is one compact line (name, address, what differs, the flag): no preview
    box or expander per row; one contact's draft is open beside the list, a click opens
    another."""
    thread, emails = batch_of(seeded)
    batch = batch_key(thread, emails[0])
    at = open_app(INBOX)
    assert not at.exception
    rows = at.get_by_key(f"batch-rows-list-{batch}")
    assert not rows.get("expander") and not rows.get("text")  # no preview inside the list
    for contact, email in zip(CONTACTS, emails, strict=True):
        row = at.button(key=f"open-{email['id']}")
        label = str(row.label).replace("\\", "")
        assert contact["name"] in label and contact["email"] in label, label
        assert "\n" not in label  # one line
    ann, bob = emails[0], emails[1]
    assert present(at, f"batch-open-item-{ann['id']}")  # the first contact is open
    assert not present(at, f"batch-open-item-{bob['id']}")
    at.button(key=f"open-{bob['id']}").click().run()
    assert not at.exception
    assert present(at, f"batch-open-item-{bob['id']}")
    assert not present(at, f"batch-open-item-{ann['id']}")
    opened = at.get_by_key(f"batch-open-item-{bob['id']}")
    assert "Hi Bob" in " ".join(str(t.value) for t in opened.get("text"))
