"""Forms of the disclosures app (issue 12), one module per journey."""
