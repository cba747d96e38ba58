"""A send-back never silently returns the same draft.

After a redraft (graphs/writer.py `redraft`), its copy is compared with the previous draft's:
the same words (case, spacing and punctuation aside), or one word changed that the feedback
never asked for, is "unchanged". The writer then asks once more, with the reviewer's words put
more forcefully and the previous text named as what must change, and, where the model seam
offers them, a higher temperature and a fixed seed. Still unchanged: the draft goes to the person
with a note in a marketer's words, and the audit says so (`draft.unchanged`).

A redraft that pasted the reviewer's instruction into its text ("Please make it warmer and
mention the warranty" inside the email) is caught by `copied_feedback`: the AI review sends it
back to the writer, and what is left reaches the person with a note.
"""

from __future__ import annotations

import difflib
import logging
import re
from collections.abc import Mapping, Sequence
from typing import Any

from langchain_core.language_models import BaseChatModel
from langgraph.config import get_config

from graphs import prompts
from graphs.channels import Channel
from graphs.checks.draft import Problem
from graphs.humanize import clip
from graphs.state import ProposedAction

log = logging.getLogger(__name__)

RETRY_TEMPERATURE = 0.8  # the retry samples more freely than the seam's default (0.2)
RETRY_SEED = 7  # and from a fixed seed, so the retry is repeatable on one model
TRIVIAL_WORDS = 1  # this many words changed, none of them asked for: still the same draft
_WORD = re.compile(r"\w+")


def words(text: str) -> list[str]:
    """The text's words, case-folded: spacing, case and punctuation are not a change."""
    return _WORD.findall(text.casefold())


def unchanged(before: str, after: str, feedback: Sequence[str] = ()) -> bool:
    """Whether `after` is the same draft as `before`: the same words, or at most
    `TRIVIAL_WORDS` changed and none of the new ones from the latest feedback (a one-word
    change the reviewer asked for, "say Hello, not Hi", is a change)."""
    old, new = words(before), words(after)
    if old == new:
        return True
    if not old or not new:
        return False
    asked = set(words(feedback[-1])) if feedback else set()
    changed = 0
    added: list[str] = []
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(a=old, b=new, autojunk=False).get_opcodes():
        if tag != "equal":
            changed += max(i2 - i1, j2 - j1)
            added += new[j1:j2]
    return changed <= TRIVIAL_WORDS and not (set(added) & asked)


def same_draft(
    channel: Channel, previous: ProposedAction, new: ProposedAction, feedback: Sequence[str]
) -> bool:
    """Whether a redraft of a drafted channel came back as the previous draft."""
    if not channel.drafted:
        return False
    return unchanged(channel.copy(previous["args"]), channel.copy(new["args"]), feedback)


def insist(previous_copy: str, feedback: Sequence[str]) -> str:
    """The task's last words for the second try: the previous text as what must change, and
    the reviewer's latest words."""
    latest = feedback[-1] if feedback else "Write it differently."
    return prompts.REVISE_AGAIN_TASK.format(draft=previous_copy, feedback=latest)


def varied(model: BaseChatModel) -> BaseChatModel:
    """The model sampling more freely for the second try: a higher temperature and a fixed seed
    where the model offers those settings (ChatOpenAI does, for the embedded model and OpenAI);
    any other model (the tests' scripted one) is left as it is."""
    fields = type(model).model_fields
    update: dict[str, Any] = {}
    if "temperature" in fields:
        current = getattr(model, "temperature", None)
        update["temperature"] = max(float(current or 0.0), RETRY_TEMPERATURE)
    if "seed" in fields:
        update["seed"] = RETRY_SEED
    return model.model_copy(update=update) if update else model


def note(feedback: Sequence[str]) -> str:
    """What the card says when the AI could not change the draft, in a marketer's words."""
    asked = " ".join(feedback[-1].split()) if feedback else ""
    quoted = f" (“{clip(asked, 80)}”)" if asked else ""
    return (
        f"The AI could not change this draft the way you asked{quoted}. "
        "Edit it yourself, send it back with other words, or reject it."
    )


def flag(action: ProposedAction, feedback: Sequence[str]) -> ProposedAction:
    """The action with the note first among what the AI review left for the person."""
    flagged = ProposedAction(**action)
    flagged["review_notes"] = [note(feedback), *action.get("review_notes", [])]
    return flagged


# -- the reviewer's words pasted into the redraft ------------------------------------------------
COPIED_RUN = 5  # this many of the reviewer's words in a row, new in the redraft: pasted
_QUOTE = re.compile(r"[\"“‘][^\"”’]{1,200}[\"”’]|(?<!\w)'[^']{1,200}'(?!\w)")


def copied_feedback(
    copy: str, feedback: Sequence[str], previous_copy: str = "", sources: Sequence[str] = ()
) -> str | None:
    """The reviewer's instruction where the redraft pasted it into its text, in the reviewer's
    words; None when it did not. Pasted: `COPIED_RUN` of the note's words in a row (or the whole
    note, three words or more) that the redraft says and the previous draft did not. Words the
    note quotes for the draft to say ("say 'Pre-order today'") and words of the facts
    (`sources`: passages, the brief) are the draft's to use, and so is a run without a word of
    instruction ("make", "mention", "please", "tone"...): copy the reviewer dictated."""
    if not feedback:
        return None
    note = feedback[-1]
    said = words(copy)
    before = " " + " ".join(words(previous_copy)) + " "
    known = [" " + " ".join(words(text)) + " " for text in sources]
    text = " " + " ".join(said) + " "
    for part in _QUOTE.split(note):  # the quoted words are the draft's to say
        asked = words(part)
        need = COPIED_RUN if len(asked) > COPIED_RUN else max(len(asked), 3)
        for start in range(0, len(asked) - need + 1):
            # the longest run from here that the redraft says
            end = start + need
            run = " " + " ".join(asked[start:end]) + " "
            if run not in text or run in before or any(run in k for k in known):
                continue
            while end < len(asked) and " " + " ".join(asked[start : end + 1]) + " " in text:
                end += 1
            if _INSTRUCTING & set(asked[start:end]):  # "make it warmer", not the words asked for
                return _as_written(note, asked[start:end])
    return None


# Words that make a run of the note an instruction rather than copy the reviewer dictated
# ("Mention that it weighs 840 grams" → "It weighs 840 grams" is the draft doing as asked).
_INSTRUCTING = frozenset(
    "please make mention add remove drop delete cut change rewrite reword replace shorten "
    "shorter longer warmer friendlier punchier tone draft subject sentence paragraph wording "
    "instead should needs need reviewer feedback".split()
)


def _as_written(note: str, run: Sequence[str]) -> str:
    """The run of the note's words as the reviewer wrote them (case and punctuation kept)."""
    pattern = r"\W+".join(re.escape(w) for w in run)
    found = re.search(pattern, note, re.IGNORECASE)
    return found.group(0) if found else " ".join(run)


def copied_note(copied: str) -> str:
    """What the card says when the redraft pasted the reviewer's words in, a marketer's words."""
    return (
        f"Your send-back note was copied into the draft (“{clip(copied, 80)}”) instead of being "
        "followed. Edit it out, send it back with other words, or reject it."
    )


def copied_feedback_for_writer(copied: str) -> str:
    """The same for the writer's next round."""
    return (
        f"You pasted the reviewer's instruction into the text (“{clip(copied, 80)}”). Do not "
        "write the instruction: do what it asks, in the draft's own words."
    )


def pasted(
    channel: Channel,
    args: Mapping[str, Any],
    feedback: Sequence[str],
    previous: ProposedAction,
    checkable: Sequence[Mapping[str, Any]],
    brief: Mapping[str, Any],
) -> list[Problem]:
    """The reviewer's instruction pasted into the redraft's text, as a problem of the AI review
    (graphs/writer.py `draft_action`): the writer is asked again, the person told."""
    sources = [str(p.get("text") or p.get("quote") or "") for p in checkable]
    sources += [str(v) for v in brief.values() if isinstance(v, str)]
    copied = copied_feedback(channel.copy(args), feedback, channel.copy(previous["args"]), sources)
    if copied is None:
        return []
    return [Problem("feedback", copied_note(copied), copied_feedback_for_writer(copied))]


def audit(
    store: Any,
    action: ProposedAction,
    feedback: Sequence[str],
    *,
    changed_on_retry: bool,
) -> None:
    """`draft.unchanged` in the audit: the redraft came back the same, asked again, and whether
    the second try changed it."""
    if store is None:
        return
    try:
        thread_id = str(get_config()["configurable"]["thread_id"])
    except Exception:  # outside a run (a direct call in a test)
        log.debug("no run: draft.unchanged of %s not audited", action["id"])
        return
    store.audit(
        "draft.unchanged",
        {
            "action_id": action["id"],
            "revision": action["revision"],
            "feedback": feedback[-1] if feedback else "",
            "retried": True,
            "changed_on_retry": changed_on_retry,
        },
        thread_id=thread_id,
    )
