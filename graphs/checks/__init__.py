"""Checks of the text that would go out: facts (`graphs.checks.facts`), links and contacts."""
