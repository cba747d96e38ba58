"""The Brand page shows the rules learned from edits and send-backs; the marketer changes and
deletes them there (issue 10, item 8)."""

from __future__ import annotations

from pathlib import Path

from ui_support import open_app, texts

from graphs.brand import Brand, BrandBook
from graphs.learning import learn

BRAND = "views/brand.py"


def test_a_learned_rule_is_shown_changed_and_deleted_on_the_brand_page(ui_home: Path) -> None:
    book = BrandBook(ui_home)
    book.save(Brand(name="Northpeak", signature="The Northpeak team", products=("Trail pack",)))
    before = {"subject": "Spring", "body": "Our revolutionary pack is light.\n\nThe Northpeak team"}
    after = {"subject": "Spring", "body": "Our pack is light.\n\nThe Northpeak team"}
    assert learn(ui_home, {"product": "Trail pack"}, before, {"type": "edit", "args": after}) == [
        "Never say 'revolutionary'"
    ]
    [rule] = book.get("Northpeak").rules

    at = open_app(BRAND)
    at.selectbox(key="brand-pick").set_value("Northpeak").run()
    assert not at.exception
    box = at.text_input(key=f"brand-rule-{rule.id}")
    assert box.value == "Never say 'revolutionary'"
    assert box.label == "Learned from an edit"
    assert "Rules the drafts follow" in texts(at)

    box.set_value("Never say 'revolutionary' or 'game-changer'")
    at.button(key=f"brand-rule-save-{rule.id}").click().run()
    assert [r.text for r in book.get("Northpeak").rules] == [
        "Never say 'revolutionary' or 'game-changer'"
    ]

    at.button(key=f"brand-rule-delete-{rule.id}").click().run()
    assert not at.exception
    assert book.get("Northpeak").rules == ()
    assert "No rules yet" in texts(at)
