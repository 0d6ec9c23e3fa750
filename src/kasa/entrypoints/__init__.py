"""Delivery: the HTTP apps, the command line, settings and the container that wires them."""
