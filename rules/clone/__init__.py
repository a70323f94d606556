"""The clone family."""
