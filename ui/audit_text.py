"""Audit entries in a marketer's words: "Approved the email (3 claims checked)", not
`decision.recorded {"interrupt_id": …}`.

The audit log keeps every detail (the CSV export and `signoff audit --json` carry it raw); the
pages show what happened in a sentence. Details are written by the model, people and connectors:
they are only ever shown as text (the caller escapes them), clipped, and never trusted to have a
shape: a field that is missing or of another type is left out, never an error.
"""

from __future__ import annotations

import time
from typing import Any

from graphs.humanize import clip

ACTIONS = {
    "send_email": "the email",
    "publish_post": "the social post",
    "publish_page": "the web page",
    "spend_ads": "the ad spend",
    "like_post": "a like",
    "follow_account": "a follow",
    "repost_post": "a repost",
}
ACTION_IDS = {"email": "the email", "post": "the social post", "page": "the web page"}
EVENTS = {
    "campaign.started": "Campaign started",
    "campaign.error": "Campaign stopped",
    "campaign.retried": "Campaign retried",
    "campaign.pruned": "Campaign tidied",
    "draft.reviewed": "AI review",
    "draft.unchanged": "Redraft unchanged",
    "action.routed": "Routed",
    "action.proposed": "Waiting for a person",
    "action.held": "Scheduled",
    "action.executed": "Went out",
    "action.failed": "Failed",
    "action.in_doubt": "Not sure it went out",
    "action.settled": "Settled",
    "action.retried": "Retried",
    "action.undone": "Undone",
    "action.undo_failed": "Undo failed",
    "decision.recorded": "Decision",
    "decision.endorsed": "Approval",
    "decision.applied": "Carried out",
    "hold.cancel": "Cancelled",
    "hold.send_now": "Sent now",
    "policy.loaded": "Policy in use",
    "policy.changed": "Policy changed",
    "autonomy.promoted": "Autonomy raised",
    "autonomy.demoted": "Autonomy lowered",
    "authority.refused": "Refused",
    "brand.rules_learned": "Brand rules learned",
    "review.reminder": "Reminder",
    "notification.added": "Notification",
    "notification.acknowledged": "Acknowledged",
    "notification.flagged": "Flagged",
    "notification.preference": "Notification setting",
    "audit.key": "Audit key",
}
DECIDED = {
    "approve": "Approved",
    "edit": "Approved with edits",
    "revise": "Sent back",
    "reject": "Rejected",
    "cancel": "Cancelled",
    "send_now": "Sent now",
}
WIDTH = 160


def event_label(event: str) -> str:
    """`decision.recorded` → 'Decision'; an event this module does not know reads as words."""
    if event in EVENTS:
        return EVENTS[event]
    return str(event).replace(".", " ").replace("_", " ").strip().capitalize()


def _text(value: Any) -> str:
    return clip(" ".join(str(value).split()), WIDTH) if value not in (None, "") else ""


def _action(detail: dict[str, Any]) -> str:
    """'the email', from the detail's action (a name or {"name": …}) or its action id."""
    action = detail.get("action")
    name = action.get("name") if isinstance(action, dict) else action
    if isinstance(name, str) and name in ACTIONS:
        args = action.get("args") if isinstance(action, dict) else None
        to = args.get("to") if isinstance(args, dict) and name == "send_email" else None
        return ACTIONS[name] + (f" to {_text(to)}" if isinstance(to, str) and to else "")
    action_id = detail.get("action_id")
    if isinstance(action_id, str):
        prefix = action_id.split("-", 1)[0]
        if prefix in ACTION_IDS:
            return ACTION_IDS[prefix] + (" (one contact's)" if action_id.count("-") > 1 else "")
    return "the action" if not isinstance(name, str) else name.replace("_", " ")


def _dict(value: Any) -> dict[str, Any]:
    """An entry's field that should hold a mapping, as one (a malformed one reads as empty)."""
    return value if isinstance(value, dict) else {}


def _list(value: Any) -> list[Any]:
    """An entry's field that should hold a list, as one (a malformed one reads as empty)."""
    return value if isinstance(value, list) else []


def _count(n: int, word: str) -> str:
    return f"{n} {word}" + ("" if n == 1 else "s")


def _at(epoch: Any) -> str:
    if not isinstance(epoch, int | float):
        return ""
    return time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime(float(epoch)))


def _percent(value: Any) -> str:
    return f"{float(value):.0%}" if isinstance(value, int | float) else ""


def describe(entry: dict[str, Any]) -> str:
    """What one audit entry says happened, in a sentence (never raw JSON)."""
    event = str(entry.get("event") or "")
    d = entry.get("detail")
    d = d if isinstance(d, dict) else {}
    what = _action(d)
    if event == "campaign.started":
        brief = _dict(d.get("brief"))
        text = f"{_text(brief.get('product')) or 'A campaign'}"
        if brief.get("audience"):
            text += f" for {_text(brief.get('audience'))}"
        return text
    if event == "campaign.error":
        return f"It stopped: {_text(d.get('error')) or 'an error'}. Open the campaign to retry."
    if event == "draft.reviewed":
        rounds = _list(d.get("rounds"))
        left = _list(d.get("left"))
        text = f"The AI reviewed {what}: {_count(len(rounds), 'round')}, "
        text += f"{_count(len(left), 'issue')} left" if left else "nothing left to fix"
        return text + (f" (first: {_text(left[0])})" if left else "")
    if event == "draft.unchanged":
        asked = f" (“{_text(d.get('feedback'))}”)" if d.get("feedback") else ""
        if d.get("changed_on_retry") is True:
            return (
                f"The AI's redraft of {what} came back unchanged{asked}; asked again, it changed it"
            )
        return f"The AI could not change {what} as asked{asked}: it waits for you with a note"
    if event in ("action.routed", "action.proposed"):
        reasons = _list(d.get("reasons"))
        route = {"review": "waits for a person", "notify": "runs, then tells you"}.get(
            str(d.get("route")), "runs on its own"
        )
        text = f"{what.capitalize()} {route}"
        if _percent(d.get("confidence")):
            text += f"; confidence {_percent(d.get('confidence'))}"
        if event == "action.routed" and reasons:
            text += f" ({_text(reasons[0])})"
        return text
    if event == "action.held":
        release = _at(d.get("release_at"))
        return f"{what.capitalize()} was approved; it goes out" + (
            f" at {release} unless cancelled" if release else " after its hold"
        )
    if event == "action.executed":
        return f"{what.capitalize()} went out"
    if event in ("action.failed", "action.in_doubt", "action.undo_failed"):
        return (
            f"{what.capitalize()}: {_text(d.get('error') or d.get('reason')) or event_label(event)}"
        )
    if event == "action.settled":
        how = {"mark_sent": "marked as sent", "send_again": "sent again"}.get(
            str(d.get("choice") or d.get("how") or ""), "settled"
        )
        return f"{what.capitalize()} {how}"
    if event == "action.undone":
        return f"{what.capitalize()} undone"
    if event == "action.retried":
        return f"{what.capitalize()} tried again"
    if event in ("decision.recorded", "hold.cancel", "hold.send_now"):
        decision = _dict(d.get("decision"))
        kind = str(decision.get("type") or event.removeprefix("hold."))
        text = f"{DECIDED.get(kind, 'Decided')} {what}"
        checked = d.get("checked_unsupported")
        if isinstance(checked, list) and checked:
            text += f" ({_count(len(checked), 'claim')} checked by hand)"
        said = decision.get("feedback") or decision.get("reason") or decision.get("comment")
        return text + (f": “{_text(said)}”" if said else "")
    if event == "decision.endorsed":
        return f"Approval of {what} recorded; it needs one more person"
    if event == "decision.applied":
        ids = d.get("interrupt_ids")
        n = len(ids) if isinstance(ids, list) else 1
        return f"{_count(n, 'decision')} carried out"
    if event in ("policy.loaded", "policy.changed"):
        return f"Policy version {_text(d.get('version')) or '?'}"
    if event in ("autonomy.promoted", "autonomy.demoted"):
        return (
            f"{what.capitalize()} on {_text(d.get('channel')) or 'its channel'}: "
            f"{_text(d.get('from')) or '?'} → {_text(d.get('to')) or '?'}"
        )
    if event == "authority.refused":
        return _text(d.get("why") or d.get("reason")) or "Not allowed by the policy"
    if event == "brand.rules_learned":
        rules = _list(d.get("rules"))
        return "; ".join(_text(r) for r in rules[:3]) or "New rules from your edits"
    if event == "review.reminder":
        due = _at(d.get("expires_at"))
        return "Reminder: a review expires soon" + (f" ({due})" if due else "")
    if event.startswith("notification."):
        return _text(d.get("title") or d.get("message") or d.get("reason")) or what.capitalize()
    return ""
