"""How the API's two authentication methods appear in the OpenAPI description."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from drf_spectacular.extensions import OpenApiAuthenticationExtension


class VerifiedSessionScheme(OpenApiAuthenticationExtension):
    target_class = "isp_portal.api.VerifiedSessionAuthentication"
    name = "session"

    def get_security_definition(self, auto_schema: Any) -> dict[str, str]:
        return {
            "type": "apiKey",
            "in": "cookie",
            "name": settings.SESSION_COOKIE_NAME,
            "description": "A browser session that has passed two-factor sign-in; send X-CSRFToken on writes.",
        }


class AgencyTokenScheme(OpenApiAuthenticationExtension):
    target_class = "agencies.api.authentication.AgencyTokenAuthentication"
    name = "agencyToken"

    def get_security_definition(self, auto_schema: Any) -> dict[str, str]:
        return {
            "type": "http",
            "scheme": "bearer",
            "description": "An agency system's API token (isp_...), created by the agency's admin.",
        }


# --- Postprocessing: what every operation may answer, and what no request body may carry ---------------------

ERROR_SCHEMA: dict[str, Any] = {
    "type": "object",
    "description": "Every error the API answers has this shape.",
    "required": ["error"],
    "properties": {
        "error": {
            "type": "object",
            "required": ["status", "code", "message"],
            "properties": {
                "status": {"type": "integer", "description": "The HTTP status code, repeated."},
                "code": {"type": "string", "description": "A stable, machine-readable code, e.g. `invalid`."},
                "message": {"type": "string", "description": "What went wrong, in words a person can act on."},
                "fields": {
                    "type": "object",
                    "description": "For 400: the messages for each field refused (`non_field_errors` for the body "
                    "as a whole).",
                    "additionalProperties": {"type": "array", "items": {"type": "string"}},
                },
            },
        }
    },
}

ERROR_RESPONSES = {
    "400": "The request was refused: it is malformed, names unknown fields, or breaks a rule. `fields` says "
    "which fields were refused and why; nothing was changed.",
    "401": "No credentials, or credentials that are not valid: an unknown, revoked or expired token, or a "
    "browser session that has ended or has not passed two-factor sign-in.",
    "403": "You can see this, but may not do this to it; `message` says why.",
    "404": "There is no such object, or none you may see (the two answers are the same on purpose).",
    "413": "The request body is larger than the portal accepts.",
    "429": "Too many requests in a short time: wait, then try again.",
}
# Only an operation that takes a body can be sent one of a type it does not read.
BODY_ERROR_RESPONSES = {
    "415": "The body is of a media type this operation does not read, or its multipart form could not be read.",
}


def document_errors(result: dict[str, Any], generator: Any, request: Any, public: bool) -> dict[str, Any]:
    """drf-spectacular postprocessing hook: every operation documents the error shape and the error statuses
    it can answer, so a client (and the fuzzer in the test suite) can rely on them."""
    result.setdefault("components", {}).setdefault("schemas", {})["Error"] = ERROR_SCHEMA
    error_content = {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
    for methods in result.get("paths", {}).values():
        for operation in methods.values():
            responses = operation.setdefault("responses", {})
            errors = {**ERROR_RESPONSES, **(BODY_ERROR_RESPONSES if "requestBody" in operation else {})}
            for code, description in errors.items():
                responses.setdefault(code, {"description": description, "content": error_content})
    return result


def forbid_unknown_fields(result: dict[str, Any], generator: Any, request: Any, public: bool) -> dict[str, Any]:
    """drf-spectacular postprocessing hook: request bodies say `additionalProperties: false`, because the API
    refuses fields it does not know (a misspelt field would otherwise be silently ignored)."""
    schemas = result.get("components", {}).get("schemas", {})
    seen: set[str] = set()

    def close(schema: dict[str, Any]) -> None:
        reference = schema.get("$ref", "")
        if reference.startswith("#/components/schemas/"):
            name = reference.rsplit("/", 1)[1]
            if name in seen or name not in schemas:
                return
            seen.add(name)
            close(schemas[name])
            return
        if "additionalProperties" in schema:
            # A map with keys of the caller's choosing (a DictField, such as a version's clauses): its keys are
            # data, not field names, so it stays open; its values are described by additionalProperties.
            if isinstance(schema["additionalProperties"], dict):
                close(schema["additionalProperties"])
        elif schema.get("type") == "object" or "properties" in schema:
            schema["additionalProperties"] = False
            for child in schema.get("properties", {}).values():
                close(child)
        if "items" in schema:
            close(schema["items"])
        for key in ("allOf", "oneOf", "anyOf"):
            for child in schema.get(key, []):
                close(child)

    for methods in result.get("paths", {}).values():
        for operation in methods.values():
            for media in operation.get("requestBody", {}).get("content", {}).values():
                close(media.get("schema", {}))
    return result
