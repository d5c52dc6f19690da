"""`python -m wan_mcp` runs the `wan-mcp` command."""

from wan_mcp.cli import main

raise SystemExit(main())
