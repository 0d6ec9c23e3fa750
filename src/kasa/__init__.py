"""Kasa: the open back end of a members' mutual aid fund."""

__version__ = "0.1.0"
