"""What the graph says to a marketer counts in words: "1 claim is not supported", "2 claims
are not supported", never "claim(s)"; the writer's AI review as the page shows it, never
"(1 AI review rounds, 0 issue(s) left)"."""

from __future__ import annotations

import ast
import re
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from graphs.humanize import ai_review
from graphs.policy import Facts, load_policy, route
from graphs.response_schema import review_schema
from ui.cli_format import _inbox_table


def _facts(**kw: Any) -> Facts:
    facts: dict[str, Any] = {
        "action": "send_email",
        "channel": "email",
        "level": None,
        "writer_confidence": 0.95,
        "claims": 3,
        "unsupported": 0,
        "policy_words": [],
        "first_contact": False,
        "flagged_sources": 0,
        "over_limit": None,
        "over_daily_limit": False,
        "invalid": None,
        "placeholders": [],
        "revision": 0,
    }
    return Facts(**{**facts, **kw})  # type: ignore[typeddict-item]


@pytest.mark.parametrize(
    ("unsupported", "flagged", "said"),
    [
        (1, 0, "1 claim is not supported by the cited evidence"),
        (2, 0, "2 claims are not supported by the cited evidence"),
        (2, 1, "1 source contains instructions"),
        (2, 2, "2 sources contain instructions"),
    ],
)
def test_why_it_waits_counts_in_words(unsupported: int, flagged: int, said: str) -> None:
    policy = load_policy()
    found = []
    for confidence in (0.99, 0.1):  # its own reason, and inside "Confidence … is below"
        reasons = " ".join(
            route(
                policy,
                _facts(
                    writer_confidence=confidence,
                    unsupported=unsupported,
                    flagged_sources=flagged,
                ),
            )["reasons"]
        )
        assert "(s)" not in reasons, reasons
        found.append(reasons)
    assert any(said in r for r in found), found


@pytest.mark.parametrize(
    ("action", "channel", "said"),
    [
        ("spend_ads", "ads", "Spend on ads is high-risk"),
        ("publish_page", "cms", "Publish web page is"),
        ("send_email", "email", "Send email is high-risk"),
    ],
)
def test_why_it_waits_names_the_action_as_its_tool_does(
    action: str, channel: str, said: str
) -> None:
    reasons = " ".join(route(load_policy(), _facts(action=action, channel=channel))["reasons"])
    assert said in reasons, reasons


def test_the_writer_says_its_ai_review_in_words() -> None:
    assert ai_review(1, 0) == "checked once by the AI reviewer; nothing left to fix"
    assert ai_review(3, 1) == "checked 3 times by the AI reviewer; 1 point left for you to check"
    assert ai_review(2, 2).endswith("2 points left for you to check")


def test_a_drafted_line_has_no_rounds_or_issues(signoff: Any, brief: dict[str, str]) -> None:
    steps: list[tuple[str, str]] = []
    signoff.start(brief, on_progress=lambda *s: steps.append(s))
    drafted = [m for s, m in steps if m.startswith("Drafted the ")]
    assert len(drafted) == 2, steps
    assert any("by the AI reviewer;" in m for m in drafted), drafted
    assert not [m for m in drafted if "(s)" in m or "rounds" in m], drafted


def _shown_strings(path: Path) -> list[tuple[int, str]]:
    """The string literals of a module that can reach a person: every one but docstrings and
    the arguments of a logger's call (log.info(...), log.warning(...))."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    skip: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
            body = node.body
            if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
                skip.add(id(body[0].value))
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and isinstance(node.func.value, ast.Name)
            and node.func.value.id in {"log", "logger", "_log", "LOG"}
        ):
            for sub in ast.walk(node):
                skip.add(id(sub))
    found = []
    for node in ast.walk(tree):
        if id(node) in skip:
            continue
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            found.append((node.lineno, node.value))
    return found


def test_no_message_says_s_in_brackets() -> None:
    """'2 claim(s)' nowhere a person reads it: the page, the CLI, errors and notifications count
    in words ('1 claim', '2 claims'), through graphs.humanize.count."""
    root = Path(__file__).resolve().parents[2]
    offenders = [
        f"{path.relative_to(root)}:{line}: {text.strip()[:70]!r}"
        for folder in ("graphs", "tools", "ui")
        for path in sorted((root / folder).rglob("*.py"))
        for line, text in _shown_strings(path)
        if re.search(r"[a-z]\(s\)", text) and "http(s)" not in text
    ]
    assert not offenders, "\n".join(offenders)


@pytest.mark.parametrize(("n", "said"), [(1, "1 claim cites no evidence"), (2, "2 claims cite")])
def test_the_inbox_table_counts_claims_in_words(n: int, said: str) -> None:
    item = {
        "id": "a1",
        "thread_id": "t" * 8,
        "action": "send_email",
        "risk": "medium",
        "confidence": 0.9,
        "created_at": "2026-11-30T10:00:00",
        "args": {"subject": "Hello"},
        "reasons": ["medium risk"],
        "unsupported_claims": [f"claim {k}" for k in range(n)],
    }
    table = _inbox_table([item])
    assert said in table and "(s)" not in table, table


@pytest.mark.parametrize(("n", "said"), [(1, "has 1 claim the"), (3, "has 3 claims the")])
def test_an_unchecked_approval_counts_claims_in_words(n: int, said: str) -> None:
    original = {"to": "a@example.com", "subject": "Hi", "body": "Hello there."}
    claims = [f"claim {k}" for k in range(n)]
    schema = review_schema("send_email", original, ["approve", "edit", "reject"], claims, None)
    with pytest.raises(ValidationError) as refused:
        schema.model_validate({"type": "approve"})
    assert said in str(refused.value) and "(s)" not in str(refused.value)
