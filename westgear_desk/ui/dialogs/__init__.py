"""Dialogs, each with a testable entry point."""
