"""A channel is one module: drafting, checks and preview registered per channel; LinkedIn as the
worked example; the email's message never starts with stray punctuation."""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace

import pytest
from fakes import ScriptedChatModel

from graphs.channels import REGISTRY, by_action, by_key
from graphs.channels import linkedin as linkedin_channel
from graphs.channels.base import longest_chars
from graphs.channels.text import clean
from graphs.checks.draft import review
from graphs.runtime import Signoff

BRAND = {"name": "Brightloop", "signature": "The Brightloop team"}


@pytest.mark.parametrize(
    ("written", "message"),
    [
        ("Hello. We make homes warmer for less.", "We make homes warmer for less."),
        ("Hi, we make homes warmer for less.", "We make homes warmer for less."),
        ("Dear customers,\n\nWe make homes warmer.", "We make homes warmer."),
        ("Hey Sam - the Brightloop 2 is here.", "The Brightloop 2 is here."),
        (". We make homes warmer for less.", "We make homes warmer for less."),
        (
            "Hello team we just built the Brightloop 2 for homes like yours.",
            "Hello team we just built the Brightloop 2 for homes like yours.",
        ),
    ],
)
def test_the_emails_message_never_starts_with_stray_punctuation(written, message):
    """A greeting the model wrote anyway goes with its own punctuation, and nothing more (the
    old pattern left ". We…" after "Hello." and ate words after a greeting without one)."""
    assert clean(written) == message
    draft = SimpleNamespace(subject="Warmer homes", body=written)
    args = by_key("email").assemble(draft, {"product": "Brightloop 2"}, BRAND, None, {})
    assert args["body"].startswith(f"Hello,\n\n{message}")


def test_every_channel_registers_its_drafting_checks_and_preview():
    brief = {"product": "Brightloop 2", "link": "https://brightloop.example/winter"}
    for channel in REGISTRY.values():
        assert by_action(channel.action) is channel and by_key(channel.key) is channel
        assert channel.preview is not None
        if channel.drafted:
            # the output budget follows the grammar's longest draft, not a generic 700 tokens:
            # enough for the longest draft the grammar allows (~3 characters a token), no more
            assert channel.schema is not None
            longest = longest_chars(channel.schema(brief).model_json_schema())
            assert longest // 3 < channel.max_tokens(brief) <= longest // 2
    assert by_key("social").max_tokens(brief) < by_key("email").max_tokens(brief)
    assert by_key("linkedin").model_limit(brief) == 3000 - len(brief["link"]) - 2


def test_linkedins_own_checks_run_in_the_ai_review():
    channel = by_key("linkedin")
    wall = "Warm homes for less. " + " ".join(f"#tag{n}" for n in range(5))
    problems, _ = review(channel, {"text": wall}, {"product": "Brightloop 2"}, BRAND, [])
    assert [p.kind for p in problems] == ["channel"]
    assert "at most 3 hashtags" in problems[0].feedback
    long_first = "Warm " * 60 + "homes."
    problems, _ = review(channel, {"text": long_first}, {"product": "Brightloop 2"}, BRAND, [])
    assert any("fold" in p.reason for p in problems)
    preview = channel.preview({"text": long_first}) if channel.preview else ""
    assert "…see more" in preview and "of 3,000 characters" in preview


def test_a_linkedin_post_is_drafted_sent_back_and_published_as_linkedin(
    home: Path, brief: dict, connector_calls: list
) -> None:
    model = ScriptedChatModel()
    brief.update(channels=["linkedin"], link="https://brightloop.example/winter")
    with Signoff(home, model=model) as runtime:
        [item] = runtime.start(brief)["pending"]
        assert item["action"] == "publish_linkedin_post"
        assert item["args"]["text"].endswith("\n\nhttps://brightloop.example/winter")
        assert [c["schema"] for c in model.calls] == ["LinkedInDraft"]
        assert "LinkedIn post" in model.calls[0]["prompt"]
        # a send-back keeps its channel and action (dispatched through the registry)
        again = runtime.decide(item["id"], {"type": "revise", "feedback": "Say it warmer."})
        [redraft] = again["pending"]
        assert redraft["action"] == "publish_linkedin_post" and redraft["revision"] == 1
        runtime.decide(redraft["id"], {"type": "approve", "seen": redraft["content_hash"]})
    assert [name for name, _ in connector_calls] == ["publish_linkedin_post"]
    [line] = (home / "linkedin.jsonl").read_text().splitlines()
    assert json.loads(line)["text"] == redraft["args"]["text"]


def test_the_linkedin_module_is_the_whole_channel():
    """Besides its import in the registry, nothing in graphs/ names the LinkedIn channel."""
    root = Path(linkedin_channel.__file__).parents[1]
    naming = [
        str(p.relative_to(root))
        for p in root.rglob("*.py")
        if "linkedin" in p.read_text().lower() and p.name != "linkedin.py"
    ]
    assert naming == ["channels/__init__.py"]
