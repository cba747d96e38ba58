"""What the eval's drafts showed (issue 10): broken links, doubled signatures, short pages,
customer's words used through a second passage; each fixed where it arises, each tested here."""

from __future__ import annotations

import re

import pytest
from pydantic import ValidationError

from graphs.channels.base import NO_PLACEHOLDER, by_key
from graphs.channels.email import ONE_LINE, EmailDraft
from graphs.channels.page import PageDraft
from graphs.channels.text import clean
from graphs.checks.draft import review
from graphs.checks.drafts import Knowledge, score_action
from graphs.checks.facts import check_text
from graphs.eval_drafts import restates_quote, sheet_quotes

SHEET = """# Trailhead 30
## Price
The Trailhead 30 costs €79. Until 30 April it costs €59 with the code TRAIL30.
## Specs
It weighs 840 grams and is sewn in Porto.
## What hikers say
"It carried everything I needed for a four-day hike in the Alps." — Lena, Munich
"""
PASSAGES = [
    {"id": f"t#{n}", "text": part, "source": "trailhead.md", "location": part.split("\n")[0]}
    for n, part in enumerate(SHEET.split("## ")[1:])
]


@pytest.mark.parametrize(
    "text", ["See https//northpeak.example/x", "https://x.example", "www//x", "a [Name]"]
)
def test_the_grammar_forbids_links_written_by_the_model(text: str) -> None:
    assert not re.fullmatch(NO_PLACEHOLDER, text)


@pytest.mark.parametrize("text", ["Open 24/7: call us.", "Half off: 1/2 price", "Time: 10:30"])
def test_the_grammar_keeps_slashes_and_colons_of_plain_text(text: str) -> None:
    assert re.fullmatch(NO_PLACEHOLDER, text)


def test_a_subject_stays_one_line_after_a_slash() -> None:
    assert not re.fullmatch(ONE_LINE, "Open 24/\nBcc: x@example.com")
    # what slips past the grammar is scrubbed to it, never kept
    assert EmailDraft(subject="Save https//x today", body="x" * 130).subject == "Save  today"


def test_the_model_s_own_signature_and_link_text_are_cleaned_away() -> None:
    body = (
        "With our Trailhead 30 you carry more.\n\n"
        "https//northpeak.example/trailhead https//northpeak.example/trailhead The Northpeak team"
    )
    assert clean(body) == "With our Trailhead 30 you carry more."
    assert clean("Great stuff.\n— The Greenleaf Home Cleaning Team") == "Great stuff."
    # "team" in a sentence is prose, not a signature
    assert clean("Our team of five. Meet the team.") == "Our team of five. Meet the team."


def test_a_page_s_grammar_asks_for_three_full_sections() -> None:
    short = {"heading": "Why", "text": "It is light and strong and made in Porto."}
    with pytest.raises(ValidationError):
        PageDraft(
            title="Trailhead 30",
            intro="Light, strong and made in Porto: the pack for long days on the hill.",
            sections=[short, short, short],
            call_to_action="Order yours.",
        )


def test_a_short_page_goes_back_to_the_writer_with_a_word_count() -> None:
    args = {"slug": "t", "title": "Trailhead 30", "body": "## Why\n\nIt weighs 840 grams."}
    problems, _ = review(by_key("cms"), args, {"product": "Trailhead 30"}, {}, PASSAGES)
    [length] = [p for p in problems if p.kind == "length"]
    assert "at least 100" in length.reason and "120" in length.feedback


def test_feedback_on_a_wrong_figure_reads_as_an_instruction() -> None:
    args = {"text": "The Trailhead 30 costs €49 until 30 April."}
    problems, _ = review(by_key("social"), args, {"product": "Trailhead 30"}, {}, PASSAGES)
    [fact] = [p for p in problems if p.kind == "fact"]
    assert fact.feedback.startswith("Drop the sentence")
    assert "it says €49; the facts give €79 or €59" in fact.feedback


def test_a_customer_s_words_through_a_second_passage_are_still_theirs() -> None:
    sentence = "It weighs 840 grams, making it the perfect choice for a four-day hike in the Alps."
    [check] = check_text(sentence, PASSAGES, product="Trailhead 30")
    assert check.status == "unsupported"
    assert check.differs and "customer's words (Lena, Munich)" in check.differs
    # the weight alone, or the quote with its author, are fine
    [ok] = check_text("It weighs 840 grams.", PASSAGES, product="Trailhead 30")
    assert ok.status == "supported"


def test_the_eval_counts_a_restated_quote_as_an_error_but_not_a_quotation() -> None:
    quotes = sheet_quotes(SHEET)
    assert restates_quote(
        "You can carry everything you need for a four-day hike in the Alps.", quotes
    )
    assert not restates_quote(
        "“It carried everything I needed for a four-day hike in the Alps,” says Lena.", quotes
    )
    assert not restates_quote("It weighs 840 grams and is sewn in Porto.", quotes)


BRAND = {
    "from_address": "hello@northpeak.example",
    "signature": "The Northpeak team",
    "postal_address": "Northpeak, 14 Quarry Lane, Kendal",
}
BODY = (
    "Hello,\n\nThe Trailhead 30 costs €59 until 30 April with the code TRAIL30. It weighs 840 "
    "grams and is sewn in Porto, made for long days on the hill with room for a stove, a jacket "
    "and lunch. Pack it once and forget about it until the summit; order yours today and be "
    "ready for the first warm weekend.\n\nThe Northpeak team\n\n--\nNorthpeak, 14 Quarry Lane, "
    "Kendal\nUnsubscribe: https://northpeak.example/unsubscribe"
)


def email(body: str) -> dict:
    args = {"to": "a@x.example", "subject": "Spring on your back", "body": body}
    return {"id": "email-1", "name": "send_email", "channel": "email", "args": args}


def test_the_eval_scores_a_broken_link_and_a_doubled_signature() -> None:
    knowledge = Knowledge(known=SHEET + "\n".join(BRAND.values()))
    email_args = email(BODY)
    email_args["args"]["sender"] = "Northpeak <hello@northpeak.example>"
    assert score_action(email_args, knowledge, brand=BRAND).send_ready
    broken = email(
        BODY.replace(
            "\n\nThe Northpeak team",
            "\n\nhttps//northpeak.example/t\n\nThe Northpeak team\n\nThe Northpeak team",
        )
    )
    broken["args"]["sender"] = "Northpeak <hello@northpeak.example>"
    score = score_action(broken, knowledge, brand=BRAND)
    assert not score.clean and not score.signed


def test_a_landing_page_may_have_a_price_section() -> None:
    knowledge = Knowledge(known=SHEET)
    body = "## Price\n\n" + " ".join(["The Trailhead 30 costs €79."] * 25)
    page = {"id": "page-1", "name": "publish_page", "channel": "cms"}
    page["args"] = {"title": "Trailhead 30", "body": body}
    assert score_action(page, knowledge).clean
    post = {"id": "post-1", "name": "publish_post", "channel": "social"}
    post["args"] = {"text": "## Price\nThe Trailhead 30 costs €79."}
    assert not score_action(post, knowledge).clean


def test_a_json_escape_round_the_grammar_is_scrubbed_not_fatal() -> None:
    """The 1.5B wrote "https:\\/\\/..." inside the JSON string; the grammar let it through and the
    schema refused it three times: the campaign stopped."""
    draft = EmailDraft.model_validate(
        {
            "subject": "Our price:",
            "body": "See https://northpeak.example/x for more \\Name. It works 24/7 for you. " * 4,
        }
    )
    assert draft.subject == "Our price"
    assert "http" not in draft.body and "\\" not in draft.body
    assert "24/7" in draft.body
    assert re.fullmatch(ONE_LINE, draft.subject)
    # what is not a link or an escape is refused, never repaired: a line break in a subject,
    # a bracketed placeholder
    with pytest.raises(ValidationError):
        EmailDraft.model_validate({"subject": "Warm\r\nBcc: x@evil.example", "body": "x" * 130})
    with pytest.raises(ValidationError):
        EmailDraft.model_validate({"subject": "Hi", "body": "Dear [Name], " * 12})


def test_a_page_says_each_sentence_once_and_its_title_ends_whole() -> None:
    from graphs.channels.page import assemble

    repeated = "Our free trial offers 30-day free trials and no card needed."
    draft = PageDraft(
        title="Discover the Ultimate Solution for Cleaning Your Home in Dublin with a",
        intro=repeated + " Ledgerly sends invoices for freelancers.",
        sections=[
            {"heading": "What is it", "text": "Ledgerly sends invoices and reminders. " * 5},
            {"heading": "Trial", "text": (repeated + " ") * 4},
            {"heading": "How", "text": "It works on any device and any browser you use. " * 4},
        ],
        call_to_action="Start your trial today.",
    )
    args = assemble(draft, {"product": "Ledgerly"}, {}, None, {})
    assert args["body"].count(repeated) == 1
    assert "## Trial" not in args["body"]  # the section only repeated the intro
    assert args["title"] == "Discover the Ultimate Solution for Cleaning Your Home in Dublin"


def test_a_title_case_subject_is_no_evidence_for_its_own_names() -> None:
    [check] = check_text(
        "Discover the Ultimate Solution for Cleaning Your Home in Dublin",
        [
            {
                "id": "g#1",
                "text": "Greenleaf Home Cleaning cleans homes in Dublin.",
                "source": "g.md",
            }
        ],
        product="Greenleaf Home Cleaning",
    )
    assert check.status == "supported", check.differs


def test_an_invented_phone_number_is_named_as_one() -> None:
    sentence = "Call us today at 123-456-7890 to learn more about our subscription."
    [check] = check_text(sentence, PASSAGES, product="Trailhead 30")
    assert check.status == "unsupported"
    assert check.differs and "phone number 123-456-7890" in check.differs


def test_an_email_address_the_model_made_up_is_not_factual() -> None:
    knowledge = Knowledge(known=SHEET + "\n".join(BRAND.values()))
    made_up = BODY.replace("order yours today", "write to info@northpeak.ie to order")
    action = email(made_up)
    action["args"]["sender"] = "Northpeak <hello@northpeak.example>"
    score = score_action(action, knowledge, brand=BRAND)
    assert not score.factual and "info@northpeak.ie" in score.errors
    known = email(BODY.replace("order yours today", "write to hello@northpeak.example"))
    known["args"]["sender"] = "Northpeak <hello@northpeak.example>"
    assert score_action(known, knowledge, brand=BRAND).factual


def test_two_prices_each_with_its_own_plan_are_not_mixed() -> None:
    sheet = [
        {
            "id": "l#1",
            "text": "Ledgerly Solo costs £9 a month; Ledgerly Studio costs £24 a month for up to "
            "5 people.",
            "source": "ledgerly.md",
        }
    ]
    for sentence in (
        "Our Solo plan costs £9 a month, while our Studio plan costs £24 a month for up to 5 people.",
        "Ledgerly Solo costs £9 a month; Ledgerly Studio costs £24 a month for up to 5 people.",
    ):
        [check] = check_text(sentence, sheet, product="Ledgerly")
        assert check.status == "supported", check.differs
    for mixed in (
        "Ledgerly Solo costs £9 a month for up to 5 people.",
        "For £9 a month, up to 5 people can use Ledgerly Solo.",
    ):
        [check] = check_text(mixed, sheet, product="Ledgerly")
        assert check.status == "unsupported" and "mixes two facts" in str(check.differs)
