"""Kasa's benchmark harness: a data generator and wrk load runs (see README)."""
