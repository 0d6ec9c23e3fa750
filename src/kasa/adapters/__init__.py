"""Adapters that plug real systems (and in-memory fakes) into the application's ports."""
