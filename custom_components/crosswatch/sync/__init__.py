"""Sync planning: inventories, matching, planner and guards. Pure logic, no I/O of its own."""
