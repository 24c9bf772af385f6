"""File formats and calculations of the payment addon on plain data (no ORM)."""
