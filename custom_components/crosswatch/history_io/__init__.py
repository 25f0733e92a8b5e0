"""Reading and writing watch-history exports (no Home Assistant here: a pure layer)."""
