"""CMS pages: one page per slug, created or updated (an upsert, so a retry is always safe).

`Settings.cms` picks the connector:

    folder     (default) `<home>/site/<slug>.md` with a front matter (title, slug, updated, key);
               the content it replaced is kept in `<home>/site/.history/` for undo
    wordpress  the WordPress REST API at `wordpress_url`, HTTP basic auth with an application
               password: find the page by slug, then update it or create it
"""

from __future__ import annotations

import fcntl
import json
import logging
import os
import re
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from tools.base import (
    Call,
    ConnectorError,
    OutboundTool,
    RiskSpec,
    Settings,
    single_line,
    strip_citations,
)
from tools.feed import now
from tools.http import json_of, request

log = logging.getLogger(__name__)

SLUG = r"^[a-z0-9]+(?:-[a-z0-9]+)*$"
SERVICE = "WordPress"
ANY_STATUS = "publish,future,draft,pending,private"  # find the page however it was left


class PageArgs(BaseModel):
    """One web page: its address (slug), title and Markdown body."""

    model_config = ConfigDict(extra="forbid")

    slug: str = Field(
        pattern=SLUG, max_length=100, description="lower-case words joined by -, e.g. winter-sale"
    )
    title: str = Field(min_length=1, max_length=200)
    body: str = Field(min_length=1, max_length=200_000, description="Markdown")

    @field_validator("title")
    @classmethod
    def _one_line(cls, value: str) -> str:
        return single_line(value, "The title")


RISK = RiskSpec(
    tier="medium",
    reversible=True,
    why="A page is public once published, but it can be taken down or put back as it was.",
)


def connector(settings: Settings) -> str:
    return settings.cms


def publish_page(call: Call) -> dict[str, Any]:
    """Create or update the page with this slug (citation marks removed from the body)."""
    args = {**call.args, "body": strip_citations(call.args["body"])}
    if call.settings.cms == "wordpress":
        return _wp_upsert(call, args)
    return _folder_upsert(call, args)


def undo_page(call: Call, result: dict[str, Any]) -> dict[str, Any] | None:
    """Folder: put back what the page replaced, or remove a new page. WordPress: make it a draft."""
    if result.get("transport") == "wordpress":
        path = f"/pages/{result['id']}"
        page = _wp(call.settings, "POST", path, body={"status": "draft"}, retries=None)
        return {"transport": "wordpress", "id": result["id"], "status": page.get("status")}
    if result.get("transport") == "folder":
        return _folder_undo(call)
    return None


# -- folder ----------------------------------------------------------------------------------------
@contextmanager
def _site_lock(settings: Settings) -> Iterator[Path]:
    site = settings.home / "site"
    site.mkdir(parents=True, exist_ok=True)
    with open(site / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        yield site


def _previous(site: Path, slug: str, key: str) -> Path:
    return site / ".history" / slug / f"{key[:32]}.md"


def _folder_upsert(call: Call, args: dict[str, Any]) -> dict[str, Any]:
    slug = args["slug"]
    with _site_lock(call.settings) as site:
        page, previous = site / f"{slug}.md", _previous(site, slug, call.key)
        current = page.read_text(encoding="utf-8") if page.exists() else None
        if current is not None and front_matter(current).get("key") == call.key:
            log.info("page %s already has key %s; not writing again", slug, call.key[:12])
        else:
            if current is not None and not previous.exists():  # what undo puts back
                _write(previous, current)
            text = (
                "---\n"
                f"title: {json.dumps(args['title'], ensure_ascii=False)}\n"
                f"slug: {slug}\n"
                f"updated: {now()}\n"
                f"key: {call.key}\n"
                "---\n\n"
                f"{args['body'].rstrip()}\n"
            )
            _write(page, text)
            log.info("published page %s to %s", slug, page)
    return {
        "transport": "folder",
        "slug": slug,
        "path": str(page),
        "created": not previous.exists(),
        "previous": str(previous) if previous.exists() else None,
    }


def _folder_undo(call: Call) -> dict[str, Any]:
    slug = call.args["slug"]
    with _site_lock(call.settings) as site:
        page, previous = site / f"{slug}.md", _previous(site, slug, call.key)
        current = page.read_text(encoding="utf-8") if page.exists() else None
        if current is not None and front_matter(current).get("key") != call.key:
            raise ConnectorError(
                f"The page '{slug}' was published again since (by another action); undoing this "
                "one would overwrite that. Undo the later one first, or edit the page by hand."
            )
        if previous.exists():
            _write(page, previous.read_text(encoding="utf-8"))
            previous.unlink()
            log.info("page %s put back as it was before", slug)
            return {"transport": "folder", "slug": slug, "restored": True, "path": str(page)}
        page.unlink(missing_ok=True)
        log.info("page %s removed", slug)
        return {"transport": "folder", "slug": slug, "deleted": True, "path": str(page)}


def front_matter(text: str) -> dict[str, str]:
    """The `name: value` lines between the opening `---` lines (titles are JSON strings)."""
    match = re.match(r"---\n(.*?)\n---\n", text, re.S)
    fields: dict[str, str] = {}
    for line in match.group(1).splitlines() if match else []:
        name, sep, value = line.partition(": ")
        if sep:
            value = value.strip()
            fields[name.strip()] = json.loads(value) if value.startswith('"') else value
    return fields


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


# -- WordPress -------------------------------------------------------------------------------------
def _wp(
    settings: Settings,
    method: str,
    path: str,
    *,
    body: dict[str, Any] | None = None,
    params: dict[str, str] | None = None,
    retries: int | None = 0,
) -> Any:
    """One WordPress REST call; `retries=0` leaves retrying to the caller (see _wp_upsert)."""
    if not (settings.wordpress_url and settings.wordpress_user and settings.wordpress_app_password):
        raise ConnectorError(
            "WordPress is not configured: set SIGNOFF_WORDPRESS_URL, SIGNOFF_WORDPRESS_USER and "
            "SIGNOFF_WORDPRESS_APP_PASSWORD (or the same keys in connectors.toml), then retry."
        )
    url = settings.wordpress_url.rstrip("/") + "/wp-json/wp/v2" + path
    response = request(
        settings,
        method,
        url,
        service=SERVICE,
        json_body=body,
        params=params,
        auth=(settings.wordpress_user, settings.wordpress_app_password),
        retries=retries,
        setting="SIGNOFF_WORDPRESS_URL",
    )
    return json_of(response, SERVICE)


def _wp_upsert(call: Call, args: dict[str, Any]) -> dict[str, Any]:
    """Find by slug, then update or create. A save that may have half-happened is retried by
    looking the slug up again, never by posting blindly (WordPress would make `slug-2`)."""
    settings = call.settings
    page = {"slug": args["slug"], "title": args["title"], "content": args["body"]}
    page["status"] = "publish"
    for attempt in range(settings.http_retries + 1):
        if attempt:
            time.sleep(settings.http_backoff * 2 ** (attempt - 1))
        try:
            found = _wp(
                settings, "GET", "/pages", params={"slug": args["slug"], "status": ANY_STATUS}
            )
            existing = found[0] if isinstance(found, list) and found else None
            where = "/pages" if existing is None else f"/pages/{existing['id']}"
            saved = _wp(settings, "POST", where, body=page)
        except ConnectorError as exc:
            if not exc.retryable or attempt == settings.http_retries:
                raise
            log.warning("WordPress save of %s failed (%s); looking it up again", args["slug"], exc)
            continue
        return {
            "transport": "wordpress",
            "id": saved["id"],
            "slug": args["slug"],
            "link": saved.get("link"),
            "created": existing is None,
            "previous_status": existing.get("status") if existing else None,
        }
    raise AssertionError("unreachable")  # pragma: no cover


PUBLISH_PAGE = OutboundTool(
    name="publish_page",
    channel="cms",
    title="Publish web page",
    args_model=PageArgs,
    risk=RISK,
    run=publish_page,
    honours_key=lambda settings: True,  # an upsert by slug: running it again changes nothing
    preview=lambda args: (
        f"/{args.get('slug', '')}\n# {args.get('title', '')}\n\n{args.get('body', '')}"
    ),
    connector=connector,
    undo=undo_page,
)
