"""Customer segments report: from a customer table to a segment website and PDF."""

__version__ = "0.1.0"
