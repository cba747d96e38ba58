"""Ad spend: a ledger (`<home>/ledger.db`, or the `ad_spend` table of the PostgreSQL database
that SIGNOFF_DATABASE_URL names, shared by every machine) in front of an ad platform's webhook.

    spend_ads(amount, currency, description)
      1. refuse another currency than `ads_currency`, or an amount over the day's or the
         campaign's budget (`ads_daily_budget`, `ads_campaign_budget`; unset = no spending)
      2. reserve it in the ledger under client_reference_id = "signoff-" + key[:32]
         (a reference already booked is returned as it was: never booked twice)
      3. POST it to `ads_webhook_url` with that client_reference_id and an Idempotency-Key;
         without a URL the ledger alone records it ("booked locally")

A reservation whose platform call failed in a way that may be retried stays `pending` and counts
against the budgets (the money may be spent); a refusal (4xx) releases it.
"""

from __future__ import annotations

import json
import logging
import sqlite3
from collections.abc import Iterator
from contextlib import closing, contextmanager
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from tools import webhook
from tools.base import Call, ConnectorError, OutboundTool, RiskSpec, Settings
from tools.feed import now

log = logging.getLogger(__name__)

COUNTED = ("pending", "booked", "booked locally")  # what counts against the budgets
BOOKED = ("booked", "booked locally")
SCHEMA = """
CREATE TABLE IF NOT EXISTS ad_spend (
    client_reference_id TEXT PRIMARY KEY,
    key TEXT NOT NULL,
    thread_id TEXT NOT NULL,
    action_id TEXT NOT NULL,
    amount_cents INTEGER NOT NULL,
    currency TEXT NOT NULL,
    description TEXT NOT NULL,
    day TEXT NOT NULL,
    status TEXT NOT NULL,
    platform TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
)
"""


class SpendArgs(BaseModel):
    """One ad spend for this campaign."""

    model_config = ConfigDict(extra="forbid")

    amount: float = Field(gt=0, le=1_000_000, description="e.g. 25 or 12.50")
    currency: str = Field(description="3-letter code, e.g. EUR")
    description: str = Field(min_length=1, max_length=200, description="what the money buys")

    @field_validator("amount")
    @classmethod
    def _cents(cls, value: float) -> float:
        exponent = Decimal(str(value)).as_tuple().exponent
        if isinstance(exponent, int) and exponent < -2:
            raise ValueError(f"{value} has more than 2 decimals; round it to cents, e.g. 12.50")
        return value

    @field_validator("currency")
    @classmethod
    def _currency(cls, value: str) -> str:
        value = value.strip().upper()
        if len(value) != 3 or not value.isalpha():
            raise ValueError(f"'{value}' is not a 3-letter currency code such as EUR or USD")
        return value


RISK = RiskSpec(
    tier="high",
    reversible=False,
    why="Money spent on ads is gone once the platform has it.",
)


def connector(settings: Settings) -> str:
    return "webhook" if settings.ads_webhook_url else "ledger"


def client_reference(key: str) -> str:
    return f"signoff-{key[:32]}"


def cents(amount: float) -> int:
    return int((Decimal(str(amount)) * 100).to_integral_value())


def money(amount_cents: int, currency: str) -> str:
    return f"{amount_cents / 100:.2f} {currency}"


_PG_LOCK = 7_330_002  # pg_advisory_xact_lock key: one booking at a time, as BEGIN IMMEDIATE
_pg_ready: set[str] = set()  # databases whose ad_spend table this process has created


@contextmanager
def ledger(settings: Settings, *, write: bool = False) -> Iterator[Any]:
    """The ledger; `write=True` holds its write lock for the whole block (BEGIN IMMEDIATE, or a
    transaction-scoped advisory lock on PostgreSQL)."""
    from graphs.storage.database import PgConnection, database_url

    url = database_url()
    if url:
        with closing(PgConnection(url, settings.home / "ledger.db")) as pg:
            if url not in _pg_ready:  # CREATE ... IF NOT EXISTS races without the lock
                pg.execute("BEGIN")
                pg.execute("SELECT pg_advisory_xact_lock(?)", (_PG_LOCK,))
                pg.execute(SCHEMA)
                pg.execute("COMMIT")
                _pg_ready.add(url)
            yield from _in_transaction(pg, write, "BEGIN", (_PG_LOCK,))
        return
    path = settings.home / "ledger.db"
    path.parent.mkdir(parents=True, exist_ok=True)
    with closing(sqlite3.connect(str(path), timeout=30, isolation_level=None)) as conn:
        conn.row_factory = sqlite3.Row
        conn.execute(SCHEMA)
        yield from _in_transaction(conn, write, "BEGIN IMMEDIATE", None)


def _in_transaction(conn: Any, write: bool, begin: str, lock: tuple[int] | None) -> Iterator[Any]:
    if not write:
        yield conn
        return
    conn.execute(begin)
    if lock is not None:
        conn.execute("SELECT pg_advisory_xact_lock(?)", lock)
    try:
        yield conn
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")


def spent(
    settings: Settings, *, thread_id: str | None = None, day: str | date | None = None
) -> float:
    """Spent or reserved so far, in `ads_currency`: all, one campaign's, one UTC day's, or both."""
    from graphs.storage.database import database_url

    if not database_url() and not (settings.home / "ledger.db").exists():
        return 0.0
    with ledger(settings) as conn:
        return _sum(conn, settings.ads_currency, thread_id=thread_id, day=day) / 100


def _sum(
    conn: Any,
    currency: str,
    *,
    thread_id: str | None = None,
    day: str | date | None = None,
    besides: str = "",
) -> int:
    sql = (
        "SELECT COALESCE(SUM(amount_cents), 0) FROM ad_spend WHERE currency = ? "
        f"AND status IN ({', '.join('?' * len(COUNTED))}) AND client_reference_id != ?"
    )
    params: list[Any] = [currency, *COUNTED, besides]
    if thread_id is not None:
        sql += " AND thread_id = ?"
        params.append(thread_id)
    if day is not None:
        sql += " AND day = ?"
        params.append(str(day))
    return int(conn.execute(sql, params).fetchone()[0])


def spend_ads(call: Call) -> dict[str, Any]:
    """Book `amount` once per key: in the ledger, then on the ad platform (if configured)."""
    settings, args = call.settings, call.args
    ref, amount = client_reference(call.key), cents(args["amount"])
    if args["currency"] != settings.ads_currency:
        raise ConnectorError(
            f"The spend is in {args['currency']} but the ad account is in "
            f"{settings.ads_currency}. Convert the amount to {settings.ads_currency} (edit), or "
            "set SIGNOFF_ADS_CURRENCY if the account changed."
        )
    with ledger(settings, write=True) as conn:
        row = conn.execute(
            "SELECT * FROM ad_spend WHERE client_reference_id = ?", (ref,)
        ).fetchone()
        if row is not None and row["status"] in BOOKED:
            log.info("ad spend %s already %s; not booking again", ref, row["status"])
            return _result(row)
        if row is None or row["status"] != "pending":  # new, or refused before: check budgets
            day = datetime.now(UTC).date().isoformat()
            _check_budgets(conn, settings, call.thread_id, day, amount, ref)
            conn.execute(  # new, or a refused one booked again (both databases read this)
                "INSERT INTO ad_spend VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'pending', NULL, ?, ?) "
                "ON CONFLICT (client_reference_id) DO UPDATE SET key = excluded.key, "
                "thread_id = excluded.thread_id, action_id = excluded.action_id, "
                "amount_cents = excluded.amount_cents, currency = excluded.currency, "
                "description = excluded.description, day = excluded.day, status = 'pending', "
                "platform = NULL, created_at = excluded.created_at, "
                "updated_at = excluded.updated_at",
                (
                    *(ref, call.key, call.thread_id, call.action_id, amount),
                    *(args["currency"], args["description"], day, now(), now()),
                ),
            )
        row = conn.execute(
            "SELECT * FROM ad_spend WHERE client_reference_id = ?", (ref,)
        ).fetchone()
    if not settings.ads_webhook_url:
        return _settle(settings, ref, "booked locally", None)
    payload = {
        "client_reference_id": ref,
        "amount": amount / 100,
        "amount_minor": amount,
        "currency": row["currency"],
        "description": row["description"],
        "campaign": call.thread_id,
        "day": row["day"],
    }
    try:
        sent = webhook.post(
            call,
            settings.ads_webhook_url,
            payload,
            service="The ad platform",
            setting="SIGNOFF_ADS_WEBHOOK_URL",
        )
    except ConnectorError as exc:
        if not exc.retryable:  # refused: nothing was spent, the reservation is released
            _settle(settings, ref, "refused", {"error": str(exc)})
        raise
    return _settle(settings, ref, "booked", sent["response"])


def _check_budgets(
    conn: Any, settings: Settings, thread_id: str, day: str, amount: int, ref: str
) -> None:
    currency = settings.ads_currency
    budgets: list[tuple[str, float | None, dict[str, str], str, str]] = [
        ("daily", settings.ads_daily_budget, {"day": day}, "today (UTC)", "wait for tomorrow"),
        (
            "campaign",
            settings.ads_campaign_budget,
            {"thread_id": thread_id},
            "for this campaign",
            "spend less elsewhere in the campaign",
        ),
    ]
    for name, budget, where, scope, alternative in budgets:
        if budget is None:
            raise ConnectorError(
                f"No {name} ad budget is set, so no ad money may be spent. Set the {name} budget "
                f"in policy.yaml's hard limits (or SIGNOFF_ADS_{name.upper()}_BUDGET)."
            )
        before = _sum(conn, currency, besides=ref, **where)
        if before + amount > cents(budget):
            raise ConnectorError(
                f"Spending {money(amount, currency)} would bring the ad spend {scope} to "
                f"{money(before + amount, currency)}, over the {name} budget of "
                f"{money(cents(budget), currency)} ({money(before, currency)} already spent or "
                f"reserved). Lower the amount, {alternative}, or raise the {name} budget in "
                "policy.yaml."
            )


def _settle(settings: Settings, ref: str, status: str, platform: Any) -> dict[str, Any]:
    with ledger(settings, write=True) as conn:
        conn.execute(
            "UPDATE ad_spend SET status = ?, platform = ?, updated_at = ? "
            "WHERE client_reference_id = ?",
            (status, json.dumps(platform) if platform is not None else None, now(), ref),
        )
        row = conn.execute(
            "SELECT * FROM ad_spend WHERE client_reference_id = ?", (ref,)
        ).fetchone()
    log.info("ad spend %s %s: %s", ref, status, money(row["amount_cents"], row["currency"]))
    return _result(row)


def _result(row: sqlite3.Row) -> dict[str, Any]:
    return {
        "transport": "webhook" if row["status"] == "booked" else "ledger",
        "client_reference_id": row["client_reference_id"],
        "amount": row["amount_cents"] / 100,
        "currency": row["currency"],
        "day": row["day"],
        "campaign": row["thread_id"],
        "status": row["status"],
        "platform": json.loads(row["platform"]) if row["platform"] else None,
    }


SPEND_ADS = OutboundTool(
    name="spend_ads",
    channel="ads",
    title="Spend on ads",
    args_model=SpendArgs,
    risk=RISK,
    run=spend_ads,
    honours_key=lambda settings: True,  # one ledger entry per client reference + Idempotency-Key
    preview=lambda args: (
        f"Spend {args.get('amount', '?')} {args.get('currency', '')}: {args.get('description', '')}"
    ),
    connector=connector,
)
