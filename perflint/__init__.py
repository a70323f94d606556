"""perflint: performance smells that are locally plausible and globally wrong."""

__version__ = "0.1.0"
