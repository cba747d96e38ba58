"""Structured output on llama.cpp: a chat request's JSON-schema ``response_format`` rewritten
into an llguidance grammar, which enforces the whole schema. Standard library only.
"""

from __future__ import annotations

import copy
import json
from typing import Any

# --- structured output: response_format -> llguidance grammar ------------------------------------


def llguidance_request(body: dict[str, Any]) -> dict[str, Any]:
    """Rewrite a chat-completions body so llama.cpp enforces its JSON schema fully.

    A ``response_format`` of type ``json_schema`` becomes llama.cpp's ``grammar`` field
    holding an llguidance JSON grammar. Other bodies come back unchanged. Measured here:

    * llama.cpp's own ``response_format`` grammar ignores ``minimum``/``maximum`` on numbers;
      llguidance enforces them.
    * A grammar llguidance cannot compile (an unknown ``x-guidance`` option, an unknown
      ``format``) makes llama.cpp generate *unconstrained* text with status 200, so unknown
      keywords and formats are tolerated (``lenient``) and only known options are set.
    * Compact JSON (no whitespace) pushes the 0.5B model off its habits (a subject line ran
      into a loop of hashtags); it writes pretty-printed JSON, so whitespace is allowed, but
      bounded so it cannot run away.
    """
    response_format = body.get("response_format")
    if not isinstance(response_format, dict) or response_format.get("type") != "json_schema":
        return body
    wrapper = response_format.get("json_schema")
    schema = wrapper.get("schema") if isinstance(wrapper, dict) else None
    if not isinstance(schema, dict):
        return body
    schema = copy.deepcopy(schema)
    options: dict[str, Any] = {"lenient": True, "whitespace_pattern": r"[ \t\n\r]{0,40}"}
    options.update(schema.get("x-guidance") or {})
    schema["x-guidance"] = options
    rewritten = {key: value for key, value in body.items() if key != "response_format"}
    rewritten["grammar"] = "%llguidance {}\nstart: %json " + json.dumps(schema)
    return rewritten
