"""Ad spend: the ledger books once per client reference, within budgets, in one currency."""

from __future__ import annotations

import threading
from datetime import UTC, datetime
from pathlib import Path

import pytest
from loopback import Loopback, Reply

from tools.ads import client_reference, ledger, spent
from tools.base import Call, ConnectorError, Settings
from tools.registry import get_tool

SPEND = get_tool("spend_ads")
# Every test on both databases: the SQLite ledger file, and the ad_spend table in PostgreSQL.
pytestmark = pytest.mark.usefixtures("database")


def make_settings(home: Path, **values: object) -> Settings:
    base: dict[str, object] = {
        "http_backoff": 0.001,
        "http_timeout": 2.0,
        "ads_daily_budget": 100.0,
        "ads_campaign_budget": 80.0,
    }
    return Settings(home=home, **{**base, **values})  # type: ignore[arg-type]


def spend(
    settings: Settings, amount: float, key: str, campaign: str = "camp-a", currency: str = "EUR"
) -> dict:
    args = SPEND.validate_args(
        {"amount": amount, "currency": currency, "description": "winter push"}, settings
    )
    return SPEND.run(Call(args, key, campaign, "ads-1", settings))


def rows(home: Path) -> list[tuple]:
    with ledger(make_settings(home)) as conn:
        return [
            tuple(r)
            for r in conn.execute(
                "SELECT client_reference_id, thread_id, amount_cents, currency, status "
                "FROM ad_spend ORDER BY created_at, client_reference_id"
            ).fetchall()
        ]


def test_the_ledger_books_a_client_reference_once(tmp_path):
    s = make_settings(tmp_path)
    first = spend(s, 25.5, "k1" * 32)
    again = spend(s, 25.5, "k1" * 32)
    assert first == again
    assert first["status"] == "booked locally" and first["amount"] == 25.5
    assert first["client_reference_id"] == client_reference("k1" * 32)
    assert first["day"] == datetime.now(UTC).date().isoformat()
    assert rows(tmp_path) == [
        (client_reference("k1" * 32), "camp-a", 2550, "EUR", "booked locally")
    ]
    assert spent(s) == 25.5 and spent(s, thread_id="camp-a") == 25.5
    assert spent(s, thread_id="camp-b") == 0.0 and spent(s, day="2000-01-01") == 0.0


def test_concurrent_calls_with_one_key_book_once(tmp_path):
    s = make_settings(tmp_path)
    barrier = threading.Barrier(4)

    def go() -> None:
        barrier.wait()
        spend(s, 10, "same" * 16)

    workers = [threading.Thread(target=go) for _ in range(4)]
    for w in workers:
        w.start()
    for w in workers:
        w.join(30)
    assert len(rows(tmp_path)) == 1 and spent(s) == 10


def test_over_the_daily_budget_is_refused_with_the_amounts(tmp_path):
    s = make_settings(tmp_path, ads_daily_budget=100.0, ads_campaign_budget=1000.0)
    spend(s, 60, "a1" * 32, campaign="camp-a")
    with pytest.raises(ConnectorError) as info:
        spend(s, 50, "b1" * 32, campaign="camp-b")
    message = str(info.value)
    assert info.value.retryable is False
    assert (
        "50.00 EUR" in message
        and "110.00 EUR" in message
        and "daily budget of 100.00 EUR" in message
    )
    assert "60.00 EUR already spent" in message and "policy.yaml" in message
    assert spent(s) == 60  # nothing reserved for the refused one
    assert spend(s, 40, "c1" * 32, campaign="camp-b")["status"] == "booked locally"  # exactly full


def test_over_the_campaign_budget_is_refused_but_another_campaign_may_spend(tmp_path):
    s = make_settings(tmp_path, ads_daily_budget=1000.0, ads_campaign_budget=50.0)
    spend(s, 30, "a2" * 32, campaign="camp-a")
    with pytest.raises(ConnectorError, match="over the campaign budget of 50.00 EUR"):
        spend(s, 30, "b2" * 32, campaign="camp-a")
    assert spend(s, 30, "c2" * 32, campaign="camp-b")["status"] == "booked locally"
    assert spent(s, thread_id="camp-a") == 30 and spent(s, thread_id="camp-b") == 30


def test_another_currency_or_no_budget_is_refused(tmp_path):
    s = make_settings(tmp_path)
    with pytest.raises(ConnectorError, match="in USD but the ad account is in EUR"):
        spend(s, 10, "a3" * 32, currency="usd")
    unset = make_settings(tmp_path, ads_daily_budget=None)
    with pytest.raises(ConnectorError, match="No daily ad budget is set"):
        spend(unset, 10, "b3" * 32)
    assert spent(s) == 0


def test_spend_args_are_checked():
    with pytest.raises(ValueError, match="more than 2 decimals"):
        SPEND.validate_args({"amount": 12.345, "currency": "EUR", "description": "x"})
    with pytest.raises(ValueError, match="greater than 0"):
        SPEND.validate_args({"amount": 0, "currency": "EUR", "description": "x"})
    with pytest.raises(ValueError, match="3-letter currency code"):
        SPEND.validate_args({"amount": 1, "currency": "EURO", "description": "x"})
    assert SPEND.risk.tier == "high" and not SPEND.risk.reversible and SPEND.undo is None


def test_the_ad_platform_gets_the_client_reference_and_key(tmp_path):
    with Loopback() as server:
        server.script("POST", "/spend", [Reply(201, {"charge": "ch_1"})])
        s = make_settings(tmp_path, ads_webhook_url=server.url + "/spend")
        result = spend(s, 12.5, "k4" * 32)
        assert spend(s, 12.5, "k4" * 32) == result  # booked: the platform is not asked again
    [request] = server.requests
    assert request.json["client_reference_id"] == client_reference("k4" * 32)
    assert request.headers["idempotency-key"] == "k4" * 32
    assert request.json["amount"] == 12.5 and request.json["amount_minor"] == 1250
    assert request.json["currency"] == "EUR" and request.json["campaign"] == "camp-a"
    assert result["status"] == "booked" and result["platform"] == {"charge": "ch_1"}
    assert SPEND.connector(s) == "webhook" and SPEND.connector(make_settings(tmp_path)) == "ledger"


def test_a_refusal_releases_the_reservation_an_outage_keeps_it(tmp_path):
    with Loopback() as server:
        server.script("POST", "/spend", [Reply(400, {"error": "card declined"})])
        s = make_settings(tmp_path, ads_webhook_url=server.url + "/spend", http_retries=1)
        with pytest.raises(ConnectorError, match="card declined") as refused:
            spend(s, 20, "k5" * 32)
        assert refused.value.retryable is False and spent(s) == 0
        server.route("POST", "/spend", lambda r, m: Reply(503), first=True)
        with pytest.raises(ConnectorError) as down:
            spend(s, 30, "k6" * 32)
        assert down.value.retryable is True
        assert spent(s) == 30  # the platform may have it: it still counts
        server.route("POST", "/spend", lambda r, m: Reply(200, {"charge": "ch_2"}), first=True)
        booked = spend(s, 30, "k6" * 32)  # the retry books the same reference, once
    assert booked["status"] == "booked" and spent(s) == 30
    refs = [r.json["client_reference_id"] for r in server.requests]
    assert refs[-1] == refs[-2] == client_reference("k6" * 32)
    assert sorted(r[4] for r in rows(tmp_path)) == ["booked", "refused"]
