"""Plain-Python rules of isp_sales (no ORM): identifiers, billing periods, e-invoice rules and Factur-X PDFs."""
