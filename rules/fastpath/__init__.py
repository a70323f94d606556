"""The fastpath family."""
