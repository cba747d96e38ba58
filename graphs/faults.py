"""Fault points for the crash harness: where a test may kill this process, as a crash would.

    SIGNOFF_CRASH_AT=after_connector     die (SIGKILL) the first time `after_connector` is reached
    SIGNOFF_CRASH_AT=after_connector:3   … the third time

Unset (production), `point()` is one comparison with None.
"""

from __future__ import annotations

import logging
import os
import signal
import threading

log = logging.getLogger(__name__)

ENV = "SIGNOFF_CRASH_AT"
POINTS = ("before_claim", "after_claim", "after_connector", "after_record")


def parse(spec: str | None) -> tuple[str, int] | None:
    """`name` or `name:N` -> (name, N); None or "" -> None; anything else: ValueError."""
    if not spec:
        return None
    name, sep, nth = spec.strip().partition(":")
    if name not in POINTS:
        raise ValueError(f"{ENV}={spec!r} names no fault point; expected one of {list(POINTS)}.")
    if not sep:
        return name, 1
    if not nth.isdigit() or int(nth) < 1:
        raise ValueError(f"{ENV}={spec!r}: after ':' comes a count from 1, e.g. {name}:2.")
    return name, int(nth)


_TARGET = parse(os.environ.get(ENV))
_reached: dict[str, int] = {}
_count_lock = threading.Lock()  # the graph's threads (a batch's senders) count exactly


def point(name: str) -> None:
    """Kill this process here when SIGNOFF_CRASH_AT asks for it; otherwise do nothing."""
    if _TARGET is None or _TARGET[0] != name:
        return
    with _count_lock:
        _reached[name] = reached = _reached.get(name, 0) + 1
    if reached == _TARGET[1]:
        log.critical("fault point %s reached (%d): killing the process", name, reached)
        os.kill(os.getpid(), signal.SIGKILL)
