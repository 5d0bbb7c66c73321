"""Nothing to export here."""
