"""The baseline of the HTTP benchmark: a bare Django view, served by gunicorn exactly as the portal is.

It reads one row of a 1,000,000-row table by primary key and inserts one audit-shaped row (the 17 columns of
`audit_event`), with no middleware, no sessions and no templates: the least a Django page that reads and
records can cost on this machine, measured in the same run as the portal's pages (issue 9).
"""
