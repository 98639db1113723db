"""domicile: keep each country's personal data at home."""
