"""The embedded model end to end: a real campaign produces valid proposed actions.

Structure, not wording: the small model's prose varies, the contract does not.
"""

from __future__ import annotations

import mailbox
from email.header import decode_header, make_header

import pytest

from graphs.runtime import Signoff
from tools.registry import get_tool

pytestmark = pytest.mark.integration


def test_embedded_model_drafts_valid_actions_and_a_revision(tmp_path, monkeypatch, brief):
    for var in ("OPENAI_API_KEY", "OPENAI_BASE_URL", "SIGNOFF_MODEL", "SIGNOFF_SMTP_URL"):
        monkeypatch.delenv(var, raising=False)
    steps: list[str] = []
    with Signoff(tmp_path / "home") as runtime:  # no model injected: the one seam, embedded
        result = runtime.start(brief, on_progress=lambda step, message: steps.append(step))
        assert result["status"] == "waiting"
        assert steps[:2] == ["researcher", "writer"]
        campaign = runtime.campaign(result["thread_id"])
        evidence_ids = {e["id"] for e in campaign["evidence"]}
        assert evidence_ids, "the researcher found nothing in the sample brand kit"
        by_name = {p["action"]: p for p in result["pending"]}
        assert set(by_name) == {"send_email", "publish_post"}
        for item in by_name.values():
            assert 0.0 <= item["confidence"] <= 1.0
            assert all(set(c["evidence_ids"]) <= evidence_ids for c in item["claims"])
            assert all(c["text"].strip() for c in item["claims"])
        email = by_name["send_email"]
        get_tool("send_email").validate_args(email["args"])  # to, subject, body all valid
        assert email["args"]["to"] == "customers@example.com"  # the marketer's, not the model's
        assert len(by_name["publish_post"]["args"]["text"]) > 0

        # every claim was checked against the knowledge base; unsupported ones need "checked"
        assert len(email["claim_checks"]) == len(email["claims"])
        assert email["needs_check"] == any(not c["supported"] for c in email["claim_checks"])
        runtime.decide(
            email["id"], {"type": "approve", "checked": email["needs_check"]}, by="integration"
        )
        [hold] = runtime.holds()  # the shipped policy holds an approved email for 300 s
        assert hold["action"] == "send_email" and 290 < hold["seconds_left"] <= 300
        assert not (tmp_path / "home" / "maildir").exists()
        runtime.send_now(hold["id"], by="integration")
        [message] = mailbox.Maildir(str(tmp_path / "home" / "maildir")).values()
        # a subject with a non-ASCII character (the model's "€" or "—") arrives encoded
        assert str(make_header(decode_header(message["Subject"]))) == email["args"]["subject"]

        post = by_name["publish_post"]
        again = runtime.decide(
            post["id"], {"type": "revise", "feedback": "Make it shorter and mention the price."}
        )
        [redraft] = again["pending"]
        assert redraft["action"] == "publish_post" and redraft["revision"] == 1
        assert redraft["id"] != post["id"] and redraft["args"]["text"].strip()
