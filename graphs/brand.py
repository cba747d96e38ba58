"""Brand settings: who an email is from, how it is signed, what it must never say.

One data file per data directory (`SIGNOFF_HOME/brands.json`), edited on the Brand page or with
`signoff brand`. A brand holds what the writer must never invent: the sender name and From
address, the signature, the postal address and unsubscribe footer of an email, the words to
avoid, the tone; and the rules learned from the marketer's edits and send-backs ("sign as The
Northpeak team"), which the marketer can see, edit and delete.

A campaign takes a snapshot of its brand when it starts (the brief's `brand`, else the brand
whose products include the brief's product, else the first brand), so a later change of settings
never changes a draft under a decision.

    book = BrandBook(home)
    brand = book.for_brief({"product": "Brightloop 2", ...})
    book.save(dataclasses.replace(brand, signature="The Brightloop team"))
    book.add_rule(brand.name, "Never say 'not perfect'", origin="edit")
"""

from __future__ import annotations

import dataclasses
import json
import logging
import os
import re
import tempfile
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from graphs.errors import InvalidInput

log = logging.getLogger(__name__)

FILENAME = "brands.json"
MAX_RULES = 40
MAX_TEXT = 400
_URL = re.compile(r"^https?://[^\s/]+\.[^\s]+$")


@dataclass(frozen=True)
class Rule:
    """A rule the next drafts follow, learned from an edit or a send-back, or typed in."""

    id: str
    text: str
    origin: str = "marketer"  # "edit" | "send back" | "marketer"
    added_at: str = ""


@dataclass(frozen=True)
class Brand:
    name: str
    sender_name: str = "Marketing team"
    from_address: str = "marketing@example.com"
    signature: str = "The marketing team"
    postal_address: str = ""
    unsubscribe: str = (
        "You get this email because you signed up for our news. Reply STOP to unsubscribe."
    )
    avoid: tuple[str, ...] = ()
    tone: str = "warm, plain and confident; short sentences; no exclamation marks"
    link: str = ""  # the default page to send people to
    products: tuple[str, ...] = ()  # product names this brand sells (chooses the brand of a brief)
    rules: tuple[Rule, ...] = field(default_factory=tuple)

    @property
    def sender(self) -> str:
        """The From header: `Sender Name <address>`."""
        name = self.sender_name.replace('"', "").strip()
        return f"{name} <{self.from_address}>" if name else self.from_address

    def as_dict(self) -> dict[str, Any]:
        data = dataclasses.asdict(self)
        data["avoid"] = list(self.avoid)
        data["products"] = list(self.products)
        data["rules"] = [dataclasses.asdict(r) for r in self.rules]
        return data


# The sample kit's brand (tools/brand_kit): a new user's first campaign is signed properly.
SAMPLE = Brand(
    name="Brightloop",
    sender_name="Brightloop",
    from_address="hello@brightloop.example",
    signature="The Brightloop team",
    postal_address="Brightloop Labs, 12 Mill Street, Manchester M1 2AB, UK",
    unsubscribe=(
        "You get this email because you asked for Brightloop news. Reply STOP to unsubscribe."
    ),
    avoid=("guaranteed savings", "free money", "revolutionary"),
    tone="warm, plain and confident; speak to one person; short sentences; no exclamation marks",
    products=("Brightloop",),
)


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def _words(text: str) -> set[str]:
    return {w for w in re.findall(r"[a-z0-9]+", text.lower()) if len(w) > 1}


def product_matches(tag: str, product: str) -> bool:
    """A product tag ("Brightloop") names a brief's product ("Brightloop 2 smart thermostat")
    when every word of one is among the other's words."""
    a, b = _words(tag), _words(product)
    return bool(a and b) and (a <= b or b <= a)


def brand_from_dict(raw: Mapping[str, Any]) -> Brand:
    """A Brand from the page, the CLI or the data file; InvalidInput names each bad field."""
    from tools.email import address_problem

    problems: list[str] = []
    name = str(raw.get("name") or "").strip()
    if not name:
        problems.append("'name' is missing (the brand's name, e.g. Northpeak)")
    values: dict[str, Any] = {"name": name}
    for key in ("sender_name", "from_address", "signature", "postal_address", "unsubscribe"):
        if key in raw and raw[key] is not None:
            text = str(raw[key]).strip()
            if len(text) > MAX_TEXT:
                problems.append(f"'{key}' is {len(text)} characters; keep it under {MAX_TEXT}")
            values[key] = text
    for key in ("tone", "link"):
        if raw.get(key) is not None:
            values[key] = str(raw[key]).strip()[:MAX_TEXT]
    if values.get("link") and not _URL.match(values["link"]):
        problems.append(
            f"'link' must be a web address like https://example.com; got {values['link']!r}"
        )
    if "from_address" in values:
        problem = address_problem(values["from_address"])
        if problem or "<" in values["from_address"]:
            problems.append(
                f"'from_address' must be one address like news@example.com; got "
                f"{values['from_address']!r} ({problem or 'put the name in sender_name'})"
            )
    for key in ("avoid", "products"):
        if raw.get(key) is not None:
            items = raw[key]
            if isinstance(items, str):
                items = [w for w in re.split(r"[,\n]", items)]
            if not isinstance(items, list | tuple):
                problems.append(f"'{key}' must be a list of words or phrases; got {items!r}")
                continue
            values[key] = tuple(dict.fromkeys(str(w).strip() for w in items if str(w).strip()))
    rules = []
    for r in raw.get("rules") or []:
        if isinstance(r, Mapping) and str(r.get("text", "")).strip():
            rules.append(
                Rule(
                    id=str(r.get("id") or uuid.uuid4().hex[:8]),
                    text=str(r["text"]).strip()[:MAX_TEXT],
                    origin=str(r.get("origin") or "marketer"),
                    added_at=str(r.get("added_at") or ""),
                )
            )
    values["rules"] = tuple(rules[:MAX_RULES])
    if problems:
        raise InvalidInput("The brand settings are not valid: " + "; ".join(problems) + ".")
    return Brand(**values)


class BrandBook:
    """The brands of one data directory, in `brands.json` (written atomically)."""

    def __init__(self, home: Path | str) -> None:
        self.path = Path(home).expanduser() / FILENAME

    def all(self) -> list[Brand]:
        """Every brand; the sample brand when none was ever saved."""
        if not self.path.is_file():
            return [SAMPLE]
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
            brands = [brand_from_dict(b) for b in data.get("brands", [])]
        except (ValueError, InvalidInput, AttributeError) as exc:
            raise InvalidInput(
                f"The brand settings file {self.path} cannot be read ({exc}). Fix it, or delete "
                "it to start again from the sample brand."
            ) from exc
        return brands or [SAMPLE]

    def get(self, name: str) -> Brand:
        for brand in self.all():
            if brand.name.lower() == name.strip().lower():
                return brand
        known = [b.name for b in self.all()]
        raise InvalidInput(f"Unknown brand {name!r}; expected one of {known}. Add it first.")

    def for_brief(self, brief: Mapping[str, Any]) -> Brand:
        """The brief's brand by name, else the brand selling its product, else the first."""
        if brief.get("brand"):
            return self.get(str(brief["brand"]))
        brands = self.all()
        product = str(brief.get("product") or "")
        for brand in brands:
            if any(product_matches(p, product) for p in brand.products):
                return brand
        for brand in brands:
            if product_matches(brand.name, product):
                return brand
        own = [b for b in brands if b.name != SAMPLE.name]
        if len(own) == 1 and not own[0].products:
            return own[0]  # the marketer's one brand
        # Never sign another product's email as the sample brand.
        return Brand(
            name=product or "Our brand",
            sender_name=f"{product} team".strip(),
            signature=f"The {product} team".replace("The  team", "The team"),
        )

    def _write(self, brands: list[Brand]) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        text = json.dumps({"brands": [b.as_dict() for b in brands]}, indent=2, ensure_ascii=False)
        fd, tmp = tempfile.mkstemp(dir=self.path.parent, prefix=".brands", suffix=".json")
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            out.write(text)
        os.replace(tmp, self.path)

    def save(self, brand: Brand) -> Brand:
        """Add or replace a brand (by name)."""
        brand = brand_from_dict(brand.as_dict())  # validated
        others = [b for b in self.all() if b.name.lower() != brand.name.lower()]
        self._write([*others, brand] if others or brand.name != SAMPLE.name else [brand])
        log.info("brand settings saved: %s", brand.name)
        return brand

    def delete(self, name: str) -> None:
        brand = self.get(name)
        self._write([b for b in self.all() if b.name != brand.name])

    def add_rule(self, name: str, text: str, *, origin: str = "marketer") -> Rule:
        text = " ".join(text.split())[:MAX_TEXT]
        if not text:
            raise InvalidInput('A rule needs some text, e.g. "Sign as The Northpeak team".')
        brand = self.get(name)
        for existing in brand.rules:
            if existing.text.lower() == text.lower():
                return existing
        rule = Rule(id=uuid.uuid4().hex[:8], text=text, origin=origin, added_at=_now())
        rules = (*brand.rules, rule)[-MAX_RULES:]
        self.save(dataclasses.replace(brand, rules=rules))
        return rule

    def update_rule(self, name: str, rule_id: str, text: str) -> None:
        brand = self.get(name)
        rules = tuple(
            dataclasses.replace(r, text=" ".join(text.split())[:MAX_TEXT]) if r.id == rule_id else r
            for r in brand.rules
        )
        self.save(dataclasses.replace(brand, rules=rules))

    def remove_rule(self, name: str, rule_id: str) -> None:
        brand = self.get(name)
        self.save(
            dataclasses.replace(brand, rules=tuple(r for r in brand.rules if r.id != rule_id))
        )


def snapshot(brand: Brand) -> dict[str, Any]:
    """What a campaign keeps of its brand (JSON, in the graph state)."""
    data = brand.as_dict()
    data["sender"] = brand.sender
    data["rules"] = [r.text for r in brand.rules]
    return data


DEFAULT_SNAPSHOT = snapshot(SAMPLE)
