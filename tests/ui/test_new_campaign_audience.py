"""With an audience list uploaded, the New campaign page does not ask where to send the email
(each recipient gets their own): the address field is disabled and says so."""

from __future__ import annotations

from pathlib import Path

from ui_support import open_app, texts

NEW = "views/new_campaign.py"


def test_an_audience_list_replaces_the_address(ui_home: Path) -> None:
    at = open_app(NEW)
    assert not at.text_input(key="to").disabled
    rows = "email,name\nann@example.com,Ann\nbob@example.com,Bob\n"
    at.file_uploader(key="audience-file").upload("audience.csv", rows.encode(), "text/csv")
    at.run()
    assert not at.exception
    assert at.text_input(key="to").disabled
    assert "Each of the 2 recipients of your audience list gets an email of their own" in texts(at)
