"""What the audit app exposes to the access policy: the audit trail as a resource. Who may read it is
decided by the agencies app (it knows who is an auditor), which registers the rule."""

from isp_portal.policy import Resource

AUDIT_TRAIL = Resource("audit-trail", "The audit trail and the chain's state")
