"""The audit checks the tests share: what an untouched chain verifies as, a chain that must
verify, and one that must not (the test then says where and why)."""

from __future__ import annotations

from typing import Any

from graphs.store import Store


def intact(checked: int) -> dict[str, Any]:
    """What `verify_audit()` says of an untouched chain of `checked` entries."""
    return {"ok": True, "checked": checked, "first_bad": None, "problem": None}


def verifies(store: Store) -> None:
    """The store's audit chain verifies (the verdict is the message when it does not)."""
    result = store.verify_audit()
    assert result["ok"], result


def broken(store: Store) -> dict[str, Any]:
    """The store's audit chain does not verify: the verdict, for the test to say where."""
    result = store.verify_audit()
    assert not result["ok"], result
    return result
