"""The disclosures API (issue 12): the same services, policy and rules as the pages."""
