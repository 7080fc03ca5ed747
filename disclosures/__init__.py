"""Requests for information, the decision, designated-manager approval, disclosures, emergency disclosures and
proactive referrals (DESIGN 2.3; issue 12)."""
