"""The aggregate reports and the annual needs-assessment dataset (issue 15; DESIGN 2.3 aggregate tier): counts of
requests, disclosures, declines, consents and breaches by agency, area, month, legal basis and age band, suppressed
(sharing.suppression) and perturbed (sharing.cell_key), read from each whole past month's counts frozen once."""
