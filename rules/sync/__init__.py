"""The sync family."""
