"""Plain-Python rules of isp_sales (no ORM): identifiers and billing periods."""
