"""All outbound tools by name. Adding a tool: write its module, add it here."""

from __future__ import annotations

from tools.ads import SPEND_ADS
from tools.base import OutboundTool
from tools.cms import PUBLISH_PAGE
from tools.email import SEND_EMAIL
from tools.linkedin import PUBLISH_LINKEDIN_POST
from tools.social import FOLLOW_ACCOUNT, LIKE_POST, PUBLISH_POST, REPOST_POST

TOOLS: dict[str, OutboundTool] = {
    tool.name: tool
    for tool in (
        SEND_EMAIL,
        PUBLISH_POST,
        LIKE_POST,
        FOLLOW_ACCOUNT,
        REPOST_POST,
        PUBLISH_PAGE,
        SPEND_ADS,
        PUBLISH_LINKEDIN_POST,
    )
}


def get_tool(name: str) -> OutboundTool:
    try:
        return TOOLS[name]
    except KeyError:
        raise KeyError(
            f"Unknown action '{name}'; expected one of {sorted(TOOLS)}. Register it in tools/registry.py."
        ) from None
