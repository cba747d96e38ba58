"""The policy file and the routing function: validation messages and invariants (hypothesis)."""

from __future__ import annotations

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st
from policy_support import shipped

from graphs.autonomy import suggest, wilson_lower_bound
from graphs.errors import InvalidInput
from graphs.policy import LEVELS, TIERS, Facts, load_policy, parse_policy, route


def test_shipped_policy_loads_with_the_documented_routes():
    policy = load_policy()
    table = {row["action"]: row for row in policy.routing_table()}
    assert table["send_email"]["tier"] == "high" and table["send_email"]["hold_seconds"] == 300
    assert table["send_email"]["routes"]["supervised"] == "wait for a person"
    assert table["send_email"]["routes"]["earned"] == "wait for a person"
    assert "above max autonomy" in table["send_email"]["routes"]["monitored"]
    assert table["publish_page"]["routes"]["earned"] == "run and notify"
    assert table["like_post"]["routes"] == {lvl: "run and log" for lvl in LEVELS}
    assert table["spend_ads"]["limits"]["budget_per_day"] == 200
    assert table["follow_account"]["channel"] == "social"


@pytest.mark.parametrize(
    ("edit", "expected"),
    [
        (
            lambda d: d["actions"]["send_email"].update(risk="extreme"),
            "`actions.send_email.risk` is 'extreme'; expected one of ['low', 'medium', 'high']",
        ),
        (
            lambda d: d["actions"]["send_email"].update(max_autonomy="god"),
            "`actions.send_email.max_autonomy` is 'god'",
        ),
        (
            lambda d: d["actions"]["spend_ads"]["limits"].update(budget_per_day=-5),
            "`actions.spend_ads.limits.budget_per_day` is -5; expected an amount ≥ 0",
        ),
        (
            lambda d: d["actions"].update(send_fax={"risk": "high"}),
            "`actions.send_fax` is 'send_fax'; expected an action Signoff knows",
        ),
        (
            lambda d: d["confidence"].update(earned=1.5),
            "`confidence.earned` is 1.5; expected a number from 0 to 1",
        ),
        (
            lambda d: d["actions"]["send_email"].update(hold_seconds="5 min"),
            "`actions.send_email.hold_seconds` is '5 min'; expected whole seconds",
        ),
        (lambda d: d.update(colour="blue"), "`colour` is 'blue'"),
    ],
)
def test_bad_policy_names_key_value_and_what_is_allowed(edit, expected):
    doc = shipped()
    edit(doc)
    with pytest.raises(InvalidInput) as err:
        parse_policy(yaml.safe_dump(doc), "policy.yaml")
    assert expected in str(err.value)
    assert "Nothing was changed" in str(err.value)


def test_not_yaml_and_missing_file_are_explained(tmp_path):
    with pytest.raises(InvalidInput, match="not valid YAML"):
        parse_policy("actions: [unclosed", "p.yaml")
    with pytest.raises(InvalidInput, match="Cannot read the policy file .*SIGNOFF_POLICY"):
        load_policy(tmp_path / "missing.yaml")


# -- routing invariants -------------------------------------------------------------------------

ACTIONS = [
    "send_email",
    "publish_post",
    "publish_page",
    "spend_ads",
    "like_post",
    "follow_account",
    "repost_post",
]


@st.composite
def policies(draw):
    doc = shipped()
    for spec in doc["actions"].values():
        spec["risk"] = draw(st.sampled_from(TIERS))
        spec["reversible"] = draw(st.booleans())
        spec["max_autonomy"] = draw(st.sampled_from(LEVELS))
        spec["start_autonomy"] = draw(st.sampled_from(LEVELS))
        spec["hold_seconds"] = draw(st.sampled_from([0, 60, 300]))
    for level in LEVELS:
        doc["confidence"][level] = draw(st.floats(0, 1))
    return parse_policy(yaml.safe_dump(doc), "generated")


facts_strategy = st.fixed_dictionaries(
    {
        "action": st.sampled_from(ACTIONS),
        "channel": st.just("x"),
        "level": st.one_of(st.none(), st.sampled_from(LEVELS)),
        "writer_confidence": st.floats(0, 1),
        "claims": st.integers(0, 5),
        "unsupported": st.integers(0, 5),
        "policy_words": st.lists(st.sampled_from(["guarantee", "cure"]), max_size=2),
        "first_contact": st.booleans(),
        "flagged_sources": st.integers(0, 2),
        "over_limit": st.one_of(st.none(), st.just("Over the daily ad budget: 250 of 200 EUR")),
        "over_daily_limit": st.booleans(),
        "invalid": st.one_of(st.none(), st.just("to: not an address")),
        "placeholders": st.lists(st.just("[Name]"), max_size=1),
        "revision": st.integers(0, 3),
    }
)


@settings(max_examples=400, deadline=None)
@given(policy=policies(), facts=facts_strategy)
def test_routing_invariants(policy, facts: Facts):
    spec = policy.action(facts["action"])
    routing = route(policy, facts)
    # nothing above max_autonomy, at any recorded level
    assert LEVELS.index(routing["level"]) <= LEVELS.index(spec.max_autonomy)
    # a reversible low-risk action never waits
    if spec.risk == "low" and spec.reversible:
        assert routing["route"] in ("auto", "skip")
        return
    # an over-budget spend never runs without a person, at any level, and cannot be approved
    if facts["over_limit"]:
        assert routing["route"] == "review" and routing["allow_approve"] is False
    # unsupported claims, sources with instructions and low confidence always reach a person
    if (
        facts["unsupported"]
        or facts["flagged_sources"]
        or facts["writer_confidence"] < routing["threshold"]
    ):
        assert routing["route"] == "review"
    # high risk below monitored always waits
    if spec.risk == "high" and routing["level"] != "monitored":
        assert routing["route"] == "review"
    assert routing["reasons"], "every route says why"
    assert routing["route"] != "skip"


def test_clean_high_risk_action_runs_and_notifies_only_when_monitored():
    doc = shipped()
    doc["actions"]["publish_post"]["max_autonomy"] = "monitored"
    policy = parse_policy(yaml.safe_dump(doc))
    facts = Facts(action="publish_post", channel="social", writer_confidence=0.9, unsupported=0)
    assert route(policy, {**facts, "level": "supervised"})["route"] == "review"
    assert route(policy, {**facts, "level": "earned"})["route"] == "review"
    monitored = route(policy, {**facts, "level": "monitored"})
    assert monitored["route"] == "notify"
    assert any("held 60 s" in r for r in monitored["reasons"])
    low = route(policy, {**facts, "level": "monitored", "writer_confidence": 0.5})
    assert low["route"] == "review" and "below the 75% needed" in " ".join(low["reasons"])


def test_wilson_bound_and_promotion_suggestion():
    assert wilson_lower_bound(0, 0) == 0
    assert wilson_lower_bound(20, 20) == pytest.approx(0.839, abs=0.002)
    assert wilson_lower_bound(10, 10) == pytest.approx(0.722, abs=0.002)
    policy = load_policy()
    none, why = suggest(policy, "publish_post", "supervised", ["approved"] * 9)
    assert none is None and "9 of the 10" in why
    none, why = suggest(policy, "publish_post", "supervised", ["approved"] * 10)
    assert none is None and "below the 80% needed" in why
    suggestion, why = suggest(policy, "publish_post", "supervised", ["approved"] * 20)
    assert suggestion and suggestion["to"] == "earned" and suggestion["n"] == 20
    assert "20 of the last 20" in why
    capped, why = suggest(policy, "send_email", "earned", ["approved"] * 30)
    assert capped is None and "maximum autonomy" in why
    # expired reviews are not counted either way; edits count against
    mixed, _ = suggest(
        policy, "publish_post", "supervised", ["approved"] * 17 + ["edited"] * 3 + ["expired"] * 5
    )
    assert mixed is None
