"""Reference bank client of the mortgage registration gateway (written from docs/interface only)."""

__version__ = "0.1.0"
