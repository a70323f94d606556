"""The rebuild family."""
