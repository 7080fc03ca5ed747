"""`{% version_rules version %}`: a version's rules as a summary list (protocols/presenters.py)."""

from __future__ import annotations

from django import template
from django.utils.safestring import SafeString

from protocols import presenters
from protocols.models import ProtocolVersion

register = template.Library()


@register.simple_tag
def version_rules(version: ProtocolVersion) -> SafeString:
    return presenters.version_rules(version)
