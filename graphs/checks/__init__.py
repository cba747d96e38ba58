"""Checks on what would go out: one module per concern (facts, drafts, links and contacts, …)."""
