"""The `attrium` command."""

from attrium.cli.main import app, main

__all__ = ["app", "main"]
