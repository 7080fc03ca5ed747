"""Children, record entries, requests, disclosures, disputes and the aggregate tier (DESIGN 2.3)."""
