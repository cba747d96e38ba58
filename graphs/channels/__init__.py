"""The channels the writer drafts, one module each, looked up through the registry."""

from graphs.channels import ads, email, page, post  # noqa: F401  (each registers itself)
from graphs.channels.base import REGISTRY, Channel, by_action, by_key, register

__all__ = ["REGISTRY", "Channel", "by_action", "by_key", "register"]
