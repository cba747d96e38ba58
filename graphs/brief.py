"""What a marketer gives Signoff: a brief and, optionally, an audience list. Validated up front:
bad input gets a message naming each problem and what to do, and nothing is started."""

from __future__ import annotations

import csv
import io
import json
import math
import re
from typing import Any

from graphs.errors import InvalidInput
from graphs.humanize import count
from graphs.state import Brief
from tools.registry import get_tool

BRIEF_FIELDS = {
    "product": "what is being marketed, e.g. 'Brightloop 2 smart thermostat'",
    "audience": "who it is for, e.g. 'homeowners with high heating bills'",
    "goal": "what the campaign should achieve, e.g. 'pre-orders before winter'",
}
OPTIONAL_FIELDS = ("to", "channels", "ad_budget", "engage", "offer", "link", "tone", "brand")
TEXT_FIELDS = {
    "offer": "the offer the copy must carry, e.g. '€59 until 31 May with the code SPRING'",
    "tone": "the tone for this campaign, e.g. 'playful'",
    "brand": "the brand settings to use, by name",
}
CHANNELS = ("email", "social", "cms", "ads")  # the shipped ones; every registered one is valid


def channel_keys() -> list[str]:
    """Every channel a brief may name: those registered under graphs/channels/."""
    from graphs.channels import REGISTRY

    return [*CHANNELS, *(k for k in REGISTRY if k not in CHANNELS)]


DEFAULT_TO = "customers@example.com"
MAX_AUDIENCE = 10_000
MAX_AD_BUDGET = 1_000_000


def _is_address(value: str) -> bool:
    try:
        get_tool("send_email").validate_args({"to": value, "subject": "x", "body": "x"})
    except ValueError:
        return False
    return True


def validate_brief(raw: Any) -> Brief:
    """A complete brief, or InvalidInput naming each missing or bad field."""
    if not isinstance(raw, dict):
        raise InvalidInput(
            f"A brief is a JSON object with {sorted(BRIEF_FIELDS)}; got {type(raw).__name__}."
        )
    problems = []
    for name, hint in BRIEF_FIELDS.items():
        value = raw.get(name)
        if value is not None and not isinstance(value, str):
            problems.append(f"'{name}' must be text ({hint}); got {type(value).__name__} {value!r}")
        elif not isinstance(value, str) or not value.strip():
            problems.append(f"'{name}' is missing ({hint})")
        elif len(value) > 2000:
            problems.append(f"'{name}' is {len(value)} characters; keep it under 2000")
    unknown = sorted(set(raw) - set(BRIEF_FIELDS) - set(OPTIONAL_FIELDS))
    if unknown:
        problems.append(
            f"unknown {'field' if len(unknown) == 1 else 'fields'} {unknown}; expected {sorted(BRIEF_FIELDS)} and optional "
            f"{list(OPTIONAL_FIELDS)}"
        )
    to = str(raw.get("to") or DEFAULT_TO).strip()
    if not _is_address(to):
        problems.append(f"'to' must be an email address like {DEFAULT_TO}; got {to!r}")
    channels = raw.get("channels") or ["email", "social"]
    if isinstance(channels, str):
        channels = [c.strip() for c in channels.split(",") if c.strip()]
    if not isinstance(channels, list) or not channels or not set(channels) <= set(channel_keys()):
        problems.append(f"'channels' must be a list drawn from {channel_keys()}; got {channels!r}")
        channels = []
    ad_budget = raw.get("ad_budget")
    if ad_budget is not None:
        try:
            if isinstance(ad_budget, bool):
                raise ValueError
            amount = round(float(ad_budget), 2)
            if not math.isfinite(amount) or not 0 < amount <= MAX_AD_BUDGET:
                raise ValueError
            ad_budget = amount
        except (TypeError, ValueError):
            problems.append(
                f"'ad_budget' must be an amount above 0 and at most {MAX_AD_BUDGET:,}, like 150; "
                f"got {ad_budget!r}"
            )
            ad_budget = None
    if "ads" in channels and not ad_budget:
        problems.append("the 'ads' channel needs an 'ad_budget' (the amount to spend)")
    engage = raw.get("engage") or []
    if isinstance(engage, str):
        engage = [e.strip() for e in engage.splitlines() if e.strip()]
    if not isinstance(engage, list) or not all(isinstance(e, str) for e in engage):
        problems.append(f"'engage' must be a list of post URLs and @handles; got {engage!r}")
        engage = []
    for target in engage:
        if not (target.startswith(("http://", "https://")) or target.startswith("@")):
            problems.append(
                f"'engage' entry {target!r} is neither a post URL (https://...) nor an @handle"
            )
    extras: dict[str, str] = {}
    for name, hint in TEXT_FIELDS.items():
        value = raw.get(name)
        if value is None or value == "":
            continue
        if not isinstance(value, str) or len(value) > 300:
            problems.append(f"'{name}' must be text under 300 characters ({hint}); got {value!r}")
        elif value.strip():
            extras[name] = " ".join(value.split())
    link = raw.get("link")
    if link:
        if not isinstance(link, str) or not re.match(r"^https?://[^\s/]+\.[^\s]+$", link.strip()):
            problems.append(
                f"'link' must be one web address like https://example.com/offer; got {link!r}"
            )
        else:
            extras["link"] = link.strip()
    if problems:
        raise InvalidInput(
            "The brief is incomplete: " + "; ".join(problems) + ". Nothing was started."
        )
    brief = Brief(
        product=raw["product"].strip(),
        audience=raw["audience"].strip(),
        goal=raw["goal"].strip(),
        to=to,
    )
    if raw.get("channels"):
        brief["channels"] = list(channels)
    if ad_budget:
        brief["ad_budget"] = ad_budget
    if engage:
        brief["engage"] = list(engage)
    for name, value in extras.items():
        brief[name] = value  # type: ignore[literal-required]
    return brief


def parse_brief_text(text: str) -> dict[str, Any]:
    """`--brief` takes JSON, or `key: value` lines, or one sentence used for all three fields."""
    text = text.strip()
    if text.startswith("{"):
        try:
            parsed = json.loads(text)
        except json.JSONDecodeError as exc:
            raise InvalidInput(f"The brief looks like JSON but does not parse: {exc}.") from exc
        if not isinstance(parsed, dict):
            raise InvalidInput(
                'A JSON brief must be an object, e.g. {"product": ..., "audience": ..., "goal": ...}.'
            )
        return parsed
    fields: dict[str, Any] = {}
    for line in text.splitlines():
        key, sep, value = line.partition(":")
        if sep and key.strip().lower() in (*BRIEF_FIELDS, "to", "offer", "link", "tone", "brand"):
            fields[key.strip().lower()] = value.strip()
    if fields:
        return fields
    if not text:
        return {}
    return {"product": text, "audience": "our customers", "goal": text}


def parse_audience_csv(text: str) -> list[dict[str, str]]:
    """Contacts from a CSV with a header row: an `email` column, and optionally name, company…

    Every bad row is named with its line number; nothing is started when any row is bad.
    """
    if not text.strip():
        raise InvalidInput(
            "The audience file is empty; expected a CSV with a header row and an 'email' column."
        )
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    columns = [(c or "").strip().lower() for c in reader.fieldnames or []]
    if "email" not in columns:
        raise InvalidInput(
            f"The audience file has no 'email' column (found {columns}); expected a header row "
            "such as: email,name,company"
        )
    contacts: list[dict[str, str]] = []
    problems: list[str] = []
    seen: set[str] = set()
    for line_no, row in enumerate(reader, start=2):
        contact = {
            (k or "").strip().lower(): (v or "").strip()
            for k, v in row.items()
            if k is not None and isinstance(v, str)
        }
        address = contact.get("email", "")
        if not any(contact.values()):
            continue
        if not _is_address(address):
            problems.append(f"line {line_no}: email {address!r} is not an address like a@b.com")
            continue
        if address.lower() in seen:
            problems.append(f"line {line_no}: {address} appears twice")
            continue
        seen.add(address.lower())
        contacts.append(contact)
    if problems:
        raise InvalidInput(
            f"The audience file has {count(len(problems), 'bad row')}: "
            + "; ".join(problems[:10])
            + ("; …" if len(problems) > 10 else "")
            + ". Fix them and upload again; nothing was started."
        )
    if not contacts:
        raise InvalidInput("The audience file has a header but no contacts.")
    if len(contacts) > MAX_AUDIENCE:
        raise InvalidInput(
            f"The audience file has {len(contacts)} contacts; at most {MAX_AUDIENCE} per campaign. "
            "Split it into several campaigns."
        )
    return contacts
