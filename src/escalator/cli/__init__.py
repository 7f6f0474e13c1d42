"""escalator's command line (typer + rich)."""
