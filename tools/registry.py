"""All outbound tools by name. Adding a tool: write its module, add it here."""

from __future__ import annotations

from tools.base import OutboundTool
from tools.email import SEND_EMAIL
from tools.social import PUBLISH_POST

TOOLS: dict[str, OutboundTool] = {tool.name: tool for tool in (SEND_EMAIL, PUBLISH_POST)}


def get_tool(name: str) -> OutboundTool:
    try:
        return TOOLS[name]
    except KeyError:
        raise KeyError(
            f"Unknown action '{name}'; expected one of {sorted(TOOLS)}. Register it in tools/registry.py."
        ) from None
