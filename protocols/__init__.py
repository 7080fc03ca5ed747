"""Protocols as enforceable data: versions, signatures, consultations, reviews, audits, meetings (DESIGN 2.2)."""
