"""Checks of the text that would go out, one module per concern: facts (`graphs.checks.facts`),
the AI review of a draft (`graphs.checks.draft`), links and contacts, …"""
