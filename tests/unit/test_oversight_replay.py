"""`make oversight` at a small size (a smoke run), and the replay's behaviour on the full history."""

from __future__ import annotations

import dataclasses
import subprocess
import sys
from collections import Counter
from pathlib import Path

from graphs.oversight import MIX, generate, replay, review_everything, variant
from graphs.policy import load_policy

ROOT = Path(__file__).resolve().parents[2]


def test_make_oversight_smoke_run_prints_both_seeds() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "bench.oversight", "--days", "12"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert "== development: seed 7, 12 days" in done.stdout
    assert "== holdout: seed 2026, 12 days" in done.stdout
    assert "review everything" in done.stdout and "saved" in done.stdout


def test_history_covers_every_action_and_improves_over_time() -> None:
    history = generate(7)
    assert len(history) >= 2000 and {p.day for p in history} == set(range(90))
    assert set(Counter(p.action for p in history)) == set(MIX)
    assert {p.channel for p in history} == {"email", "social", "cms", "ads"}
    early = [p for p in history if p.day < 30]
    late = [p for p in history if p.day >= 60]

    def bad(ps: list) -> float:  # type: ignore[type-arg]
        return sum(p.verdict != "approve" for p in ps) / len(ps)

    assert bad(early) > 2 * bad(late)
    assert any(p.tier == "high" and p.verdict == "reject" for p in history)
    assert generate(7) == history  # seeded


def test_shipped_policy_saves_reviews_and_lets_no_high_risk_stop_worthy_action_out() -> None:
    history = generate(7)
    shipped = replay(history, load_policy(), seed=7)
    baseline = review_everything(history)
    assert baseline.saved == 0 and baseline.let_through() == 0
    assert shipped.proposals == len(history)
    assert 0.4 < shipped.saved < 1
    assert shipped.let_through("stop", "high") == 0
    # what it lets through unreviewed is low-risk and reversible (likes, follows, reposts)
    assert shipped.let_through("stop", "low") > 0
    assert shipped.promotions and all(p["earned_by"] for p in shipped.promotions)
    assert shipped.daily[-1]["saved"] == round(shipped.saved, 4) and len(shipped.daily) == 90


def test_a_candidate_policy_changes_the_trade() -> None:
    history = generate(7)
    policy = load_policy()
    everything = variant(
        policy,
        "everything supervised",
        **{
            a: {"start_autonomy": "supervised", "max_autonomy": "supervised"}
            for a in ("send_email", "publish_post", "publish_page", "spend_ads")
        },
    )
    strict = replay(history, everything, seed=7)
    loose = replay(
        history,
        dataclasses.replace(policy, promotion={**policy.promotion, "min_lower_bound": 0.5}),
        seed=7,
    )
    assert strict.promotions == [] and strict.saved < replay(history, policy, seed=7).saved
    assert loose.saved > strict.saved
