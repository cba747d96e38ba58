"""How the CLI prints tables, times and drafts for a person (not for `--json`)."""

from __future__ import annotations

import json
import time
from typing import Any

from graphs.humanize import clip, count, duration, to_epoch


def _table(header: list[str], rows: list[list[str]]) -> str:
    widths = [max(len(str(r[k])) for r in [header, *rows]) for k in range(len(header))]
    return "\n".join(
        "  ".join(str(c).ljust(w) for c, w in zip(r, widths, strict=True)).rstrip()
        for r in [header, *rows]
    )


def _clock(value: Any) -> str:
    """Epoch or ISO time → '2026-11-21 14:05:09' (local time)."""
    epoch = to_epoch(value)
    if epoch is None:
        return str(value or "")
    return time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(epoch))


def _stamp() -> str:
    return time.strftime("%H:%M:%S")


def _detail_text(detail: Any) -> str:
    if not isinstance(detail, dict):
        return str(detail or "")
    return " ".join(
        f"{k}={v if isinstance(v, str | int | float) else json.dumps(v, default=str)}"
        for k, v in detail.items()
    )


def _args_text(args: dict[str, Any]) -> str:
    if "subject" in args:
        return f"To: {args.get('to')} · Subject: {args['subject']} · {args.get('body', '')}"
    if "text" in args:
        return str(args["text"])
    return json.dumps(args, ensure_ascii=False)


def _headline(item: dict[str, Any]) -> str:
    a = item.get("args") or {}
    return str(a.get("subject") or a.get("text") or item.get("title") or "")


def _inbox_table(items: list[dict[str, Any]], *, with_thread: bool = False) -> str:
    header = [
        "ID",
        *(["CAMPAIGN"] if with_thread else []),
        "ACTION",
        "RISK",
        "CONF",
        "CREATED",
        "WHAT",
    ]
    rows = [
        [
            i["id"],
            *([i["thread_id"][:8]] if with_thread else []),
            i["action"] + (f" (rev {i['revision']})" if i.get("revision") else ""),
            i["risk"],
            f"{i['confidence']:.2f}",
            str(i.get("created_at", ""))[:19],
            clip(_headline(i), 48),
        ]
        for i in items
    ]
    widths = [max(len(str(r[k])) for r in [header, *rows]) for k in range(len(header))]
    lines = [
        "  ".join(str(c).ljust(w) for c, w in zip(r, widths, strict=True)).rstrip()
        for r in [header, *rows]
    ]
    for item, k in zip(items, range(1, len(lines)), strict=True):
        notes = [r for r in item.get("reasons", [])[1:]]  # the first reason is the risk tier
        if item.get("unsupported_claims"):
            n = len(item["unsupported_claims"])
            notes = notes or [f"{count(n, 'claim')} {'cites' if n == 1 else 'cite'} no evidence"]
        if item.get("batch") and (item.get("batch_size") or 0) > 1:
            notes.append(f"one of a batch of {item['batch_size']} ({item['batch']})")
        if item.get("expires_at"):
            left = duration(item["expires_at"] - time.time())
            word = "REMINDER: expires" if item.get("reminder") else "expires"
            notes.append(f"{word} in {left}" if left != "now" else "expires now")
        if notes:
            lines[k] += "\n    ! " + "\n    ! ".join(clip(n, 100) for n in notes)
    return "\n".join(lines)


def _outcome_detail(o: dict[str, Any]) -> str:
    d = o.get("detail") or {}
    if o["status"] == "rejected":
        return f" ({d.get('reason', '')})"
    if "file" in d:
        return (
            f" → {d.get('path')}/new/{d['file']}"
            if d.get("transport") == "maildir"
            else f" → {d['file']}"
        )
    if "path" in d:
        return f" → {d['path']}" + (f" line {d['line']}" if "line" in d else "")
    if "error" in d:
        return f" ({clip(d['error'], 100)})"
    return ""


def _past(kind: str) -> str:
    return {
        "approve": "Approved",
        "edit": "Edited and approved",
        "revise": "Sent back",
        "reject": "Rejected",
    }.get(kind, kind)
