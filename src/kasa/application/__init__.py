"""Use cases of the fund, one module per area, and the ports they drive."""
