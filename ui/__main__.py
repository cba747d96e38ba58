"""`python -m ui ...` is the `signoff` command."""

from ui.cli import main

raise SystemExit(main())
