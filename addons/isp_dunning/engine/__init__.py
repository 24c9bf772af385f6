"""Calculations of the dunning run on plain data (no ORM)."""
