"""Reads of the oversight app (issue 15): each takes the reader's scope from the policy
(isp_portal.policy.resource_scope of the audit trail) and its filters from oversight.filters."""
