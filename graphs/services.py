"""What a node needs besides its state — policy, app tables, connector settings, executor — the
same for every driver.

Signoff's runtime passes them in the run's `Context`. A graph driven by LangGraph's own server
(`langgraph dev`, Studio, Agent Inbox, `langgraph_sdk`) gets an empty `Context`; the nodes then
open the data directory the environment names (`SIGNOFF_HOME`, `SIGNOFF_POLICY`, the connectors'
`SIGNOFF_*`), once per process, exactly as the runtime does: the policy's limits (ad budgets,
currency) apply to the connectors, and every audit entry carries the policy's version.
"""

from __future__ import annotations

import dataclasses
import logging
import os
import threading
from pathlib import Path
from typing import Any

from graphs.policy import Policy, load_policy
from graphs.state import Context
from tools.base import Settings

log = logging.getLogger(__name__)

_lock = threading.Lock()
_opened: dict[tuple[str, str], Context] = {}


def connector_settings(home: Path, policy: Policy, smtp_url: str | None = None) -> Settings:
    """The connectors' settings for a data directory, with the policy's hard limits applied."""
    limits = policy.actions["spend_ads"].limits if "spend_ads" in policy.actions else {}
    settings = Settings.load(home)
    overrides: dict[str, Any] = {}
    if smtp_url:
        overrides["smtp_url"] = smtp_url
    if limits.get("budget_per_day") is not None:
        overrides["ads_daily_budget"] = float(limits["budget_per_day"])
    if limits.get("budget_per_campaign") is not None:
        overrides["ads_campaign_budget"] = float(limits["budget_per_campaign"])
    if limits.get("currency"):
        overrides["ads_currency"] = limits["currency"]
    return dataclasses.replace(settings, **overrides) if overrides else settings


def complete(ctx: Context) -> Context:
    """`ctx` itself when the runtime filled it; otherwise a copy with the data directory's
    policy, store, settings and executor (opened once per process)."""
    if ctx.store is not None and ctx.executor is not None and ctx.settings is not None:
        return ctx
    opened = from_environment()
    return dataclasses.replace(
        ctx,
        policy=ctx.policy if ctx.policy is not None else opened.policy,
        store=ctx.store if ctx.store is not None else opened.store,
        settings=ctx.settings if ctx.settings is not None else opened.settings,
        executor=ctx.executor if ctx.executor is not None else opened.executor,
    )


def from_environment() -> Context:
    """The data directory of `SIGNOFF_HOME` with the policy of `SIGNOFF_POLICY` (or the shipped
    one), opened once per process and pair."""
    from graphs.store import default_home

    home = default_home()
    key = (str(home), os.environ.get("SIGNOFF_POLICY", ""))
    with _lock:
        if key not in _opened:
            _opened[key] = _open(home)
        return _opened[key]


def _open(home: Path) -> Context:
    from graphs.executor import Executor
    from graphs.store import Store, open_database

    home.mkdir(parents=True, exist_ok=True)
    policy = load_policy()
    store = Store(open_database(home), policy_version=policy.version)
    settings = connector_settings(home, policy)
    log.info(
        "opened %s for a graph run without the Signoff runtime (policy %s)", home, policy.version
    )
    return Context(
        policy=policy, store=store, settings=settings, executor=Executor(store, settings)
    )
