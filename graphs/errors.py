"""Errors a user can act on: each says what was expected, what came, and what to do."""

from __future__ import annotations


class SignoffError(Exception):
    """Base class; `str(err)` is a message meant for a person."""


class InvalidInput(SignoffError):
    """A brief, a decision or an argument was malformed. Nothing was saved."""


class InvalidDecision(InvalidInput):
    pass


class NotFound(SignoffError):
    pass


class AlreadyDecided(SignoffError):
    def __init__(self, interrupt_id: str, by: str, at: str, decision: str) -> None:
        self.interrupt_id = interrupt_id
        self.by = by
        self.at = at
        self.decision = decision
        super().__init__(f"already decided by {by} at {at} ({decision}); nothing was changed.")


class RunStopped(SignoffError):
    """A campaign's run stopped part-way (the model or a connector failed). Its state is saved."""

    def __init__(self, thread_id: str, cause: BaseException) -> None:
        self.thread_id = thread_id
        super().__init__(
            f"The campaign {thread_id} stopped part-way: {type(cause).__name__}: {cause}. "
            f"Everything so far is saved; carry on with `signoff retry {thread_id}` or the "
            "Retry button on its page."
        )


class Busy(SignoffError):
    """Another process is applying decisions to the same campaign and did not finish in time."""


class NotAllowed(SignoffError):
    """The person has not the authority for this (the policy's `authority:` section says who has)."""


class DraftChanged(SignoffError):
    """The content changed since the person opened it; their decision would not be about it."""
