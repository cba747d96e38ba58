"""Checks on what would go out: one module per concern (links and contacts, …)."""
