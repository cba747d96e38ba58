"""An approval is bound to what was seen: the hash of the exact content a person reviewed.

The hash covers the action type and its arguments (the text, recipients, amount… that would go
out), canonically serialised. The page and the CLI show it with each review and send it back with
the decision; a decision whose hash differs from the pending content is refused ("this draft
changed since you opened it") and the audit records the hash that was approved.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any


def content_hash(payload: dict[str, Any]) -> str:
    """sha256 (hex) of the action's name and args in a review or hold payload."""
    action = payload.get("action") or {}
    body = json.dumps(
        {"name": action.get("name"), "args": action.get("args")},
        sort_keys=True,
        ensure_ascii=False,
        separators=(",", ":"),
        default=str,
    )
    return hashlib.sha256(body.encode("utf-8")).hexdigest()
