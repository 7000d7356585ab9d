"""The only code that speaks NetBird's management HTTP API."""
