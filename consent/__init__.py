"""Consent records, competence and withdrawal (DESIGN 2.4)."""
