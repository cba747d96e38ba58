"""The channels the writer drafts, one module each, looked up through the registry."""

from graphs.channels import (  # noqa: F401  (each registers itself)
    ads,
    email,
    linkedin,  # noqa: F401
    page,
    post,
)
from graphs.channels.base import REGISTRY, Channel, by_action, by_key, register

__all__ = ["REGISTRY", "Channel", "by_action", "by_key", "register"]
