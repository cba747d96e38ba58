"""The audience called out at the top of an email (graphs/channels/text.py `without_call_out`):
the 0.5B opened the demo email with "Homeowners with high heating bills! We are excited…",
under the "Hello," the email already has."""

from __future__ import annotations

import pytest

from graphs.channels.email import EmailDraft, assemble
from graphs.channels.text import without_call_out

AUDIENCE = "homeowners with high heating bills"


@pytest.mark.parametrize(
    ("written", "kept"),
    [
        ("Homeowners with high heating bills! We are excited.", "We are excited."),
        (
            "Dear homeowners with high heating bills, the Brightloop 2 is here.",
            "The Brightloop 2 is here.",
        ),
        ("Homeowners, heating bills are rising.", "Heating bills are rising."),
        ("Hello homeowners! Meet the Brightloop 2.", "Meet the Brightloop 2."),
        ("Homeowners with high heating bills: meet the Brightloop 2.", "Meet the Brightloop 2."),
        # words of its own, or no call-out ending: the sentence stays
        ("High heating bills? The Brightloop 2 helps.", None),
        ("Heating bills are rising! The Brightloop 2 helps.", None),
        ("Winter is coming, and the Brightloop 2 is ready.", None),
        ("You, too, can save on heating.", None),
    ],
)
def test_an_opening_that_only_calls_out_the_audience_goes(written: str, kept: str | None) -> None:
    assert without_call_out(written, AUDIENCE) == (kept or written)


def test_no_audience_changes_nothing() -> None:
    text = "Homeowners with high heating bills! We are excited."
    assert without_call_out(text, "") == text


def test_the_email_says_hello_once_and_then_its_news() -> None:
    body = (
        "Homeowners with high heating bills! The Brightloop 2 learns your schedule in a week "
        "and heats only the rooms you use, so your bills come down this winter."
    )
    draft = EmailDraft(subject="Meet the Brightloop 2", body=body)
    args = assemble(draft, {"audience": AUDIENCE, "link": "https://x.example"}, {}, None, {})
    assert args["body"].startswith("Hello,\n\nThe Brightloop 2 learns your schedule")
