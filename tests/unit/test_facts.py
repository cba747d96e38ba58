"""The sentence-level fact check of the text that goes out (graphs/checks/facts.py)."""

from __future__ import annotations

from graphs.checks.facts import check_text, split_sentences, strip_citations

PASSAGES = [
    {
        "id": "p-price",
        "source": "offer.md",
        "text": "The Trailhead 30 backpack costs €59 until 31 March. Use the code TRAIL30.",
    },
    {
        "id": "p-course",
        "source": "course.md",
        "text": "The 12-week course meets for 90 minutes every Tuesday.",
    },
    {
        "id": "p-review",
        "source": "reviews.md",
        "text": '"It carried everything I needed for a four-day hike in the Alps." — Lena, Munich',
    },
    {
        "id": "p-made",
        "source": "about.md",
        "text": "Trailhead packs are sewn in Porto by Costa & Filhos.",
    },
]


def check(text: str):
    return check_text(text, PASSAGES, product="Trailhead 30")


def test_citation_marks_are_not_facts_and_are_stripped():
    assert (
        strip_citations("It costs €59 [1]. Code TRAIL30 [2, 3].") == "It costs €59. Code TRAIL30."
    )
    [c] = check("The backpack costs €59 [7].")
    assert c.status == "supported"
    assert c.passage_id == "p-price"  # found although the model cited evidence 7
    assert "1" not in c.facts and "7" not in c.facts


def test_a_wrong_price_says_what_differs():
    [c] = check("The Trailhead 30 costs €79 this month.")
    assert c.status == "unsupported"
    assert c.differs is not None and "€79" in c.differs and "€59" in c.differs


def test_unit_variants_match():
    for text in (
        "A 12 weeks course.",
        "Each session lasts an hour and a half.",
        "Sessions run for 1.5 hours over 12 weeks.",
        "Only 59 EUR until 31 March.",
    ):
        [c] = check(text)
        assert c.status == "supported", (text, c)


def test_ordinary_capitalised_words_are_not_names():
    checks = check("Discover lighter hiking.\n\n## Why Hikers Love It\n\nPack Smarter Today.")
    assert [c.status for c in checks] == ["no_facts", "no_facts", "no_facts"]


def test_a_sentence_starting_with_an_ordinary_compound_word_keeps_only_its_names():
    """A sentence "Pre-order Trailhead 30" names the product after an imperative, not a name "Pre-order
    Trailhead"; an invented name after the same word is still one."""
    assert [c.status for c in check("Pre-order Trailhead 30 today.")] == ["supported"]
    assert [c.status for c in check("Preorder Trailhead 30 today.")] == ["supported"]
    [c] = check("Pre-order Summitmax today.")
    assert c.status == "unsupported" and c.differs is not None and "'Summitmax'" in c.differs


def test_an_invented_name_is_flagged():
    [c] = check("The pack is sewn in Porto by Ribeiro Textiles.")
    assert c.status == "unsupported"
    assert c.differs is not None and "Ribeiro Textiles" in c.differs


def test_every_sentence_is_checked_against_every_passage():
    checks = check("Sewn in Porto by Costa & Filhos. Use TRAIL30 before 31 March.")
    assert [(c.status, c.passage_id) for c in checks] == [
        ("supported", "p-made"),
        ("supported", "p-price"),
    ]


def test_a_customer_quote_attributed_or_restated():
    [quoted] = check('"It carried everything I needed for a four-day hike in the Alps," says Lena.')
    assert quoted.status == "attributed"
    assert quoted.passage_id == "p-review"
    [restated] = check("It carries everything you need for a four-day hike in the Alps.")
    assert restated.status == "unsupported"
    assert restated.differs is not None and "customer" in restated.differs


def test_known_texts_support_facts_and_greetings_are_not_checked():
    checks = check_text(
        "Hi Sam,\nShip by 4 May with the code SPRING5.\nBest,\nThe Trailhead team",
        PASSAGES,
        known=["offer: code SPRING5, ships by 4 May"],
    )
    assert [c.status for c in checks] == ["no_facts", "supported", "no_facts", "no_facts"]
    assert checks[1].passage_id == "brief"


def test_sentences_split_at_ends_and_lines():
    assert split_sentences("One [1]. Two!\n- Three\n\n## Four") == [
        "One.",
        "Two!",
        "- Three",
        "## Four",
    ]


def test_figures_of_two_different_things_in_one_passage_are_not_support() -> None:
    passages = [
        {
            "id": "price",
            "source": "pricing.md",
            "text": "Ledgerly Solo costs £9 a month; Ledgerly Studio costs £24 a month for up to 5 people.",
        }
    ]
    [mixed] = check_text("Ledgerly costs £9 a month for up to 5 people.", passages)
    assert mixed.status == "unsupported"
    assert mixed.differs is not None and "£24" in mixed.differs
    [right] = check_text("Ledgerly Studio costs £24 a month for up to 5 people.", passages)
    assert right.status == "supported"


def test_two_prices_each_with_its_own_thing_are_not_mixed_and_swapped_ones_are() -> None:
    """The sheet's two prices, each in a clause of its own: a sentence that keeps each with its
    own thing is supported (it was flagged "mixes two facts … $39 with $39": the second price
    taken for a rival of the first); one that swaps them is not."""
    passages = [
        {
            "id": "pricing",
            "source": "pricing.md",
            "text": "The Brightloop 2 thermostat costs $149. A pack of two room sensors costs $39.",
        }
    ]
    [right] = check_text("The cost is $149, a pack of two room sensors costs $39.", passages)
    assert right.status == "supported", right.differs
    [also] = check_text(
        "The Brightloop 2 thermostat costs $149, a pack of two room sensors costs $39.", passages
    )
    assert also.status == "supported", also.differs
    [swapped] = check_text(
        "The Brightloop 2 thermostat costs $39, a pack of two room sensors costs $149.", passages
    )
    assert swapped.status == "unsupported"
    assert swapped.differs is not None and "swaps two facts" in swapped.differs


def test_a_title_keeps_only_its_names() -> None:
    [title] = check("Trailhead Packs For Every Weekend In Porto")
    assert title.status == "supported" and "Porto" in title.facts


def test_a_prepared_passage_remembers_what_it_carries_as_carries_answers() -> None:
    """`_Passage.carried` is `carries` remembered per fact (a passage is shared by every draft
    of its product): the same answers, asked once or again, and never more than MAX_FOUND kept."""
    from graphs.checks.fact_tokens import MAX_FOUND, _prepare, carries, facts_of
    from graphs.claim_tokens import Token

    [p] = _prepare(
        [
            {
                "id": "p1",
                "text": "The Trailhead 30 costs €79, weighs 840 grams and has a 7-year warranty.",
            }
        ]
    )
    facts = facts_of("Trailhead 30 for €79 or €59, 840 g, 10-year warranty, 7-year, made in Porto")
    expected = [carries(f, p.tokens, p.lower) for f in facts]
    assert True in expected and False in expected  # both answers are exercised
    assert [p.carried(f) for f in facts] == expected
    assert [p.carried(f) for f in facts] == expected  # remembered: the same again
    for n in range(MAX_FOUND + 5):
        p.carried(Token("number", (None, 1000.0 + n), str(1000 + n)))
    assert len(p.found) <= MAX_FOUND
    assert [p.carried(f) for f in facts] == expected
