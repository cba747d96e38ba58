"""`signoff inbox` and `signoff decide`: what waits for a decision, and deciding it (one id
or several)."""

from __future__ import annotations

import argparse
import json
import sys
import textwrap
from pathlib import Path
from typing import Any

from graphs.errors import RunStopped
from graphs.humanize import clip, count, duration
from ui.cli_allowed import (
    allowed_words,
    cli_words,
    decide_hints,
    not_allowed,
    why_not_approve,
)
from ui.cli_common import (
    BY_HELP,
    EXIT_INVALID,
    EXIT_OK,
    AddParser,
    CliError,
    _await,
    _campaign_id,
    _emit,
    _identity,
    _json_flag,
    _open,
    _progress,
    _stopped,
    _who,
)
from ui.cli_format import _clock, _inbox_table, _outcome_detail, _past

# The CLI flags each decision takes; the facade (graphs.decisions) validates the values.
DECISION_FLAGS = {
    "approve": "no fields",
    "edit": '--args JSON (the fields to change, e.g. \'{"subject": "..."}\')',
    "revise": "--feedback TEXT (what the writer should change)",
    "reject": "--reason TEXT [--comment TEXT]",
}
ALLOWED_HELP = "; ".join(f"{d}: {f}" for d, f in DECISION_FLAGS.items())


def add_parsers(add: AddParser) -> None:
    """`signoff inbox` and `signoff decide`."""
    p = add("inbox", "list the actions waiting for a decision, over all campaigns")
    _json_flag(p)
    p.add_argument("--page", type=int, default=1, metavar="N", help="which page (default 1)")
    p.add_argument(
        "--limit", type=int, default=100, metavar="N", help="items per page (default 100)"
    )
    p.add_argument(
        "--campaign",
        metavar="ID",
        help="only this campaign (its id, or its first characters: the 8 in the CAMPAIGN column)",
    )
    p.add_argument("--channel", help="only this channel (email, social, cms, ads)")
    p.add_argument("--risk", help="only this risk tier (low, medium, high)")
    p.add_argument(
        "--mine",
        action="store_true",
        help="only what you may decide (the policy's roles and thresholds)",
    )

    p = add(
        "decide",
        "approve, edit, send back or reject pending actions (one or several ids)",
        "Decide pending actions (IDs from `signoff inbox`): `signoff decide ID approve`, or several "
        "at once with a flag: `signoff decide ID1 ID2 ID3 --approve`. Several ids are one "
        "submission: every decision is checked first (one bad one saves nothing), then each "
        "campaign is resumed once. The first decision wins; a second decider gets exit code 3. "
        "Decisions are recorded at once; what follows (sending, a redraft) runs in a worker and "
        "this command waits for it, printing its progress (with no worker alive, it runs it "
        "itself). "
        f"Decisions: {ALLOWED_HELP}.",
    )
    p.set_defaults(parser=p)
    p.add_argument(
        "ids",
        nargs="+",
        metavar="ID",
        help="one or more pending action ids from `signoff inbox`; without a flag below, the last word is "
        "the decision: {" + ",".join(DECISION_FLAGS) + "}",
    )
    flags = p.add_mutually_exclusive_group()
    for kind in DECISION_FLAGS:
        flags.add_argument(
            f"--{kind}",
            dest="decision_flag",
            action="store_const",
            const=kind,
            help=f"{kind} every ID given ({DECISION_FLAGS[kind]})",
        )
    p.add_argument(
        "--checked",
        action="store_true",
        help="approve: I checked the claims that cite no evidence (required for such drafts)",
    )
    p.add_argument("--args", metavar="JSON", help="edit: the fields to change, as a JSON object")
    p.add_argument("--feedback", metavar="TEXT", help="revise: what the writer should change")
    p.add_argument(
        "--template",
        action="store_true",
        help="revise on one contact of an audience batch: send the batch's one template back "
        "for every contact (a contact's email is never sent back on its own)",
    )
    p.add_argument("--reason", metavar="TEXT", help="reject: why it must not go out")
    p.add_argument("--comment", metavar="TEXT", help="reject: an optional note")
    p.add_argument(
        "--seen",
        metavar="HASH",
        help="the version you reviewed (its hash from `signoff inbox`, at least 8 characters); "
        "refused if the draft changed since",
    )
    p.add_argument("--by", default=None, metavar="NAME", help=BY_HELP)
    _json_flag(p)


def cmd_inbox(args: argparse.Namespace, home: Path) -> int:
    with _open(home) as s:
        campaign = (
            _campaign_id(s, args.campaign, full_ids_elsewhere=True) if args.campaign else None
        )
        view = s.pending_page(
            args.page,
            args.limit,
            campaign=campaign,
            channel=args.channel,
            risk=args.risk,
            person=_identity(),
            decider=_identity() if args.mine else None,
        )
    items = view["items"]
    if args.json:
        _emit(items)
        return EXIT_OK
    if not items:
        print(
            (
                "Nothing is waiting that you may decide."
                if args.mine
                else "Nothing is waiting for a decision."
            )
            if not view["pending"]
            else f"Page {view['page']} is past the last page ({view['pages']})."
        )
        return EXIT_OK
    print(_inbox_table(items, with_thread=True))
    print("\nVersions (decide with --seen VERSION to bind your decision to what you read):")
    for item in items:
        print(f"  {item['id']}  version {item['content_hash'][:12]}  {_authority_line(item)}")
    more = (
        f" Page {view['page']} of {view['pages']}; next: signoff inbox --page {view['page'] + 1}."
        if view["page"] < view["pages"]
        else ""
    )
    print(
        f"\n{view['pending']} pending.{more} Decide with: signoff decide ID "
        f"{{{','.join(DECISION_FLAGS)}}}"
    )
    for item in items:
        allowed = item.get("allowed_decisions") or list(DECISION_FLAGS)
        if "approve" not in allowed:
            print(
                f"  {item['id']}: approve is not offered ({why_not_approve(item)}); "
                f"{allowed_words(allowed)} it."
            )
        elif item.get("needs_check"):
            print(
                f"  {item['id']}: approve --checked, after checking the claims that cite no evidence."
            )
    return EXIT_OK


def _authority_line(item: dict[str, Any]) -> str:
    """'you can decide it' / 'approved by ann@…; needs a budget owner: bob@…'."""
    view = item.get("authority") or {}
    if view.get("local"):
        return ""
    parts = [f"approved by {', '.join(view['approvals'])}"] if view.get("approvals") else []
    if view.get("can_approve") and view.get("completes"):
        parts.append("you can decide it")
    elif view.get("can_approve"):
        parts.append("you can approve; it then still " + "; ".join(view.get("still_needs", [])))
    else:
        parts.append(
            f"{view.get('needs', '')}: {', '.join(view.get('who', []))}"
            if not view.get("can_decide")
            else (view.get("why_not") or "")
        )
    return "; ".join(p for p in parts if p)


def split_decide_args(args: argparse.Namespace) -> tuple[list[str], str]:
    """`decide ID [ID ...] DECISION` or `decide ID [ID ...] --DECISION`: (ids, decision word)."""
    words = list(args.ids)
    flag = getattr(args, "decision_flag", None)
    if flag:
        if len(words) > 1 and words[-1] in DECISION_FLAGS:
            raise CliError(
                f"Give the decision once: --{flag} or the word {words[-1]!r}, not both. "
                "Nothing was saved."
            )
        return words, flag
    if len(words) < 2:
        parser = getattr(args, "parser", None)
        if parser is not None:
            parser.print_usage(sys.stderr)
        raise CliError(
            "the following arguments are required: {" + ",".join(DECISION_FLAGS) + "} "
            "(or one of " + ", ".join(f"--{d}" for d in DECISION_FLAGS) + ") "
            "(see `signoff decide --help`)",
            EXIT_INVALID,
            "usage",
        )
    return words[:-1], words[-1]


def decision_from_args(args: argparse.Namespace) -> dict[str, Any]:
    """The decision dict the facade validates, or CliError (exit 2) naming what is allowed."""
    kind = args.decision
    allowed = f"Allowed: {ALLOWED_HELP}. Nothing was saved."
    if kind not in DECISION_FLAGS:
        raise CliError(
            f"Unknown decision {kind!r}; expected one of {list(DECISION_FLAGS)}. {allowed}"
        )
    given = {
        flag: getattr(args, name)
        for flag, name in (
            ("--args", "args"),
            ("--feedback", "feedback"),
            ("--reason", "reason"),
            ("--comment", "comment"),
        )
        if getattr(args, name) is not None
    }
    takes = {
        "approve": set(),
        "edit": {"--args"},
        "revise": {"--feedback"},
        "reject": {"--reason", "--comment"},
    }
    extra = sorted(set(given) - takes[kind])
    if extra:
        raise CliError(f"{kind} does not take {', '.join(extra)}. {allowed}")
    decision: dict[str, Any] = {"type": kind}
    if kind == "edit":
        if not given.get("--args"):
            raise CliError(f"edit needs --args JSON with the fields to change. {allowed}")
        try:
            edited = json.loads(given["--args"])
        except json.JSONDecodeError as exc:
            raise CliError(f"--args is not valid JSON ({exc}). {allowed}") from exc
        except RecursionError as exc:
            raise CliError(f"--args is nested too deeply to be an edit. {allowed}") from exc
        if not isinstance(edited, dict) or not edited:
            raise CliError(
                f"--args must be a non-empty JSON object, got {given['--args']!r}. {allowed}"
            )
        decision["args"] = edited
    elif kind == "revise":
        if not (given.get("--feedback") or "").strip():
            raise CliError(f"revise needs --feedback TEXT. {allowed}")
        decision["feedback"] = given["--feedback"]
    elif kind == "reject":
        if not (given.get("--reason") or "").strip():
            raise CliError(f"reject needs --reason TEXT. {allowed}")
        decision["reason"] = given["--reason"]
        if given.get("--comment"):
            decision["comment"] = given["--comment"]
    if getattr(args, "checked", False):
        if kind != "approve":
            raise CliError(f"--checked goes with approve, not {kind}. {allowed}")
        decision["checked"] = True
    if getattr(args, "seen", None):
        decision["seen"] = args.seen.strip()
    return decision


def cmd_decide(args: argparse.Namespace, home: Path) -> int:
    ids, args.decision = split_decide_args(args)
    decision = decision_from_args(args)  # before opening anything: a bad decision saves nothing
    if len(set(ids)) != len(ids):
        raise CliError(f"An id is given twice in {ids}. Nothing was saved.")
    if len(ids) > 1:
        return _decide_many(args, home, ids, decision)
    args.id = ids[0]
    if getattr(args, "template", False) and decision["type"] != "revise":
        raise CliError("--template goes with revise --feedback TEXT. Nothing was saved.")
    with _open(home) as s:
        item = next((p for p in s.pending() if p["id"] == args.id), None)
        if item and (item.get("batch_size") or 0) > 1 and decision["type"] == "revise":
            return _send_back_template(s, args, item, decision)
        if item and decision["type"] not in (item.get("allowed_decisions") or DECISION_FLAGS):
            raise not_allowed(item, decision["type"])
        try:
            with cli_words(args.id):
                summary = s.decide(args.id, decision, by=_who(args), on_progress=_progress(args))
            summary = _await(s, summary, args)
        except RunStopped as exc:  # e.g. the model failed while redrafting after `revise`
            raise _stopped(exc, args.verbose) from exc
        campaign = s.campaign(summary["thread_id"])
        action_id = item["action_id"] if item else None
        held = [
            h
            for h in s.holds()
            if h["thread_id"] == summary["thread_id"] and h["action_id"] == action_id
        ]
    outcomes = [o for o in campaign["outcomes"] if o["action_id"] == action_id]
    executed = [e for e in campaign["executed"] if e["action_id"] == action_id]
    result = {
        **summary,
        "decided": {
            "id": args.id,
            "action_id": action_id,
            "action": item["action"] if item else None,
            "decision": decision,
            "by": _who(args),
        },
        "outcomes": outcomes,
        "executed": executed,
        "held": held,
    }
    if args.json:
        _emit(result)
        return EXIT_OK
    name = item["action"] if item else "action"
    still = summary.get("waiting_for", {}).get(args.id)
    if still:
        print(f"Your approval of {name} ({action_id}) is recorded; it still {'; '.join(still)}.")
        return EXIT_OK
    print(f"{_past(decision['type'])} {name} ({action_id}) as {_who(args)}.")
    for o in outcomes:
        print(f"  {o['name']}: {o['status']}{_outcome_detail(o)}")
    for e in executed:
        print(f"  outbox key {e['key']} ({e['status']})")
    if (
        item
        and item.get("batch")
        and decision["type"] in ("approve", "edit")
        and not outcomes
        and not held
    ):
        print(
            f"  It goes out when the rest of its batch ({item['batch']}) is decided: "
            f"`signoff inbox` lists them; several at once: `signoff decide ID ID ... --approve`."
        )
    for h in held:
        print(
            f"  held until {_clock(h['release_at'])} ({duration(h['seconds_left'])} left): "
            f"`signoff cancel {h['id']}` stops it, `signoff send-now {h['id']}` sends it now"
        )
    redrafts = [p for p in summary["pending"] if p["action_id"] == action_id]
    if decision["type"] == "revise" and redrafts:
        print(f"  The redraft is waiting for you: {redrafts[0]['id']}")
        print(textwrap.indent(clip(redrafts[0].get("text") or "", 400), "    "))
    print(f"\nCampaign {summary['thread_id']} is {summary['status']}.", end="")
    if summary["pending"]:
        print(f" Still waiting: {len(summary['pending'])}.\n")
        print(_inbox_table(summary["pending"]))
        print("\n" + "\n".join(decide_hints(summary["pending"][0])))
    else:
        print(f"\n\nNext:\n  signoff show {summary['thread_id']}")
    return EXIT_OK


def _send_back_template(
    s: Any, args: argparse.Namespace, item: dict[str, Any], decision: dict[str, Any]
) -> int:
    """revise on one contact of an audience batch: the batch is ONE draft (the template,
    greeted by name), so a contact is never sent back alone; with --template the template goes
    back for every contact (one decision on the batch), else say so and what to do."""
    size = int(item.get("batch_size") or 0)
    if not args.template:
        raise CliError(
            f"{args.id} is one contact's email of an audience batch of {size:,}: every contact's "
            "email is the batch's one template greeted by name, so it is never sent back on its "
            f"own. To change it for this contact only: `signoff decide {args.id} edit --args "
            f"JSON`. To have the writer redo the template for all {size:,} contacts: `signoff "
            f"decide {args.id} revise --feedback TEXT --template`. Nothing was saved."
        )
    try:
        result = s.decide_batch(
            item["thread_id"], item["batch"], decision, by=_who(args), on_progress=_progress(args)
        )
        summaries = [_await(s, summary, args) for summary in result["summaries"]]
    except RunStopped as exc:
        raise _stopped(exc, args.verbose) from exc
    if args.json:
        _emit({"sent_back": item["batch"], "contacts": len(result["decisions"]), **summaries[0]})
        return EXIT_OK
    print(
        f"Sent the template of batch {item['batch']} back to the writer for "
        f"{count(len(result['decisions']), 'contact')}, as {_who(args)}."
    )
    still = summaries[0].get("pending", [])
    if still:
        print(f"\nThe redraft is waiting for you: {count(len(still), 'draft')}.\n")
        print(_inbox_table(still))
    return EXIT_OK


def _decide_many(
    args: argparse.Namespace, home: Path, ids: list[str], decision: dict[str, Any]
) -> int:
    """Several ids, one decision: one `decide_many` call (all checked first, one resume each)."""
    if decision["type"] == "edit":
        raise CliError(
            "edit takes one ID: the edited fields belong to one draft. Nothing was saved."
        )
    with _open(home) as s:
        items = {p["id"]: p for p in s.pending()}
        for i in ids:  # approve on one that does not take it: which one and why (nothing saved)
            allowed = items[i].get("allowed_decisions") if i in items else None
            if decision["type"] == "approve" and allowed and "approve" not in allowed:
                raise not_allowed(items[i], "approve")
        try:
            with cli_words():
                summaries = s.decide_many(
                    {i: dict(decision) for i in ids}, by=_who(args), on_progress=_progress(args)
                )
            summaries = [_await(s, summary, args) for summary in summaries]
        except RunStopped as exc:
            raise _stopped(exc, args.verbose) from exc
        action_ids = {(items[i]["thread_id"], items[i]["action_id"]) for i in ids if i in items}
        threads = sorted({t for t, _ in action_ids})
        campaigns = [s.campaign(t) for t in threads]
        held = [h for h in s.holds() if (h["thread_id"], h["action_id"]) in action_ids]
    outcomes = [
        o
        for c in campaigns
        for o in c["outcomes"]
        if (c["thread_id"], o["action_id"]) in action_ids
    ]
    executed = [
        e
        for c in campaigns
        for e in c["executed"]
        if (c["thread_id"], e["action_id"]) in action_ids
    ]
    result = {
        "decided": [
            {
                "id": i,
                "thread_id": items.get(i, {}).get("thread_id"),
                "action_id": items.get(i, {}).get("action_id"),
                "action": items.get(i, {}).get("action"),
            }
            for i in ids
        ],
        "decision": decision,
        "by": _who(args),
        "campaigns": summaries,
        "outcomes": outcomes,
        "executed": executed,
        "held": held,
    }
    if args.json:
        _emit(result)
        return EXIT_OK
    print(f"{_past(decision['type'])} {len(ids)} actions as {_who(args)}:")
    for i in ids:
        item = items.get(i, {})
        print(f"  {i}  {item.get('action', '?')} ({item.get('action_id', '?')})")
    for o in outcomes:
        print(f"  {o['name']} ({o['action_id']}): {o['status']}{_outcome_detail(o)}")
    for h in held:
        print(
            f"  {h['action']} ({h['action_id']}) is held until {_clock(h['release_at'])}: "
            f"`signoff cancel {h['id']}` stops it"
        )
    still = [p for summary in summaries for p in summary.get("pending", [])]
    if still:
        print(f"\nStill waiting: {len(still)}.\n")
        print(_inbox_table(still, with_thread=True))
    return EXIT_OK
