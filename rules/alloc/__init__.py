"""The alloc family."""
