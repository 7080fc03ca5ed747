"""Pages of the disclosures app (issue 12)."""
