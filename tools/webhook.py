"""A generic webhook: one JSON POST with an `Idempotency-Key` header (the action's key).

The receiver is expected to honour the key (answer a repeated key with the first result), as
Stripe-style APIs do; that is what makes a retry after a crash safe. A webhook URL's path is
often its secret: it never appears in messages or logs.
"""

from __future__ import annotations

from typing import Any

from tools.base import Call
from tools.http import request, short_body


def post(
    call: Call, url: str, payload: dict[str, Any], *, service: str, setting: str
) -> dict[str, Any]:
    """POST `payload`; returns {"status": code, "response": the JSON or short text answer}."""
    response = request(
        call.settings,
        "POST",
        url,
        service=service,
        json_body=payload,
        headers={"Idempotency-Key": call.key},
        show_path=False,
        setting=setting,
    )
    try:
        answer: Any = response.json()
    except ValueError:
        answer = short_body(response) if response.content else None
    return {"status": response.status_code, "response": answer}
