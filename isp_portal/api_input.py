"""What the API accepts as input, before any serializer sees it (issue 8 item 6: no input gives a 500).

- `BoundedJSONParser`: a JSON body nested deeper than MAX_JSON_DEPTH, holding a number that is not finite
  (`1e400` parses as infinity), or naming the same key twice in one object (`{"roles": [], "roles": [...]}`,
  where the last would silently win and what was checked could differ from what is used), or escaping half of
  a UTF-16 surrogate pair (`"\\ud800"`, which no UTF-8 text holds) is refused with a 400 in the API's error
  shape.
- `ObjectIdField`: a reference to another object by id. Only a whole number that a bigint column can hold is
  looked up; `1e400`, `1.5`, `true`, `"12abc"` or an id too large for the column are refused as a field error.
  Every relation field of every input serializer is one of these (`tests/isp_portal/test_bounds.py` checks).
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping
from datetime import date
from typing import Any

from django.conf import settings
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers
from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser

from isp_portal import bounds

# No request body of the portal nests deeper than 3 (a meeting's agenda items); 16 leaves room and is far below
# the depth at which Python's JSON decoder runs out of stack.
MAX_JSON_DEPTH = 16

_WHOLE_NUMBER = re.compile(r"[0-9]{1,19}")
_SURROGATE = re.compile("[\ud800-\udfff]")


def _finite(text: str) -> float:
    number = float(text)
    if not math.isfinite(number):
        raise ValueError(f"the number {text[:40]} is too large")
    return number


def _no_constants(text: str) -> Any:
    raise ValueError(f"{text} is not a number JSON allows")


class DuplicateKey(ValueError):
    """A JSON object names the same key twice."""


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """object_pairs_hook: an object as a dict, refusing a key given twice (RFC 8259 4: names SHOULD be unique,
    and parsers disagree on which value wins, so a body that repeats one is ambiguous)."""
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise DuplicateKey(key)
        result[key] = value
    return result


def has_unpaired_surrogate(value: Any) -> bool:
    """Whether any string (or object key) in `value` holds half of a UTF-16 surrogate pair. A JSON escape such as
    `\\ud800` may name one (RFC 8259 8.2), but no UTF-8 text can hold it: neither the database nor a response
    that echoed it back (a choice's error names the value given) could encode it. Without recursion."""
    stack: list[Any] = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            if _SURROGATE.search(item):
                return True
        elif isinstance(item, Mapping):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return False


def json_depth(value: Any) -> int:
    """How deeply `value` nests (a scalar is 0, [] or {} is 1), without recursion."""
    deepest = 0
    stack: list[tuple[Any, int]] = [(value, 0)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, Mapping):
            children: Any = item.values()
        elif isinstance(item, list):
            children = item
        else:
            continue
        deepest = max(deepest, depth + 1)
        if deepest > MAX_JSON_DEPTH:
            return deepest
        stack.extend((child, depth + 1) for child in children)
    return deepest


class BoundedJSONParser(JSONParser):
    """DRF's JSON parser, refusing bodies nested too deeply, numbers that are not finite and repeated keys."""

    def parse(self, stream: Any, media_type: str | None = None, parser_context: Mapping[str, Any] | None = None) -> Any:
        encoding = (parser_context or {}).get("encoding", settings.DEFAULT_CHARSET)
        try:
            text = stream.read().decode(encoding) if stream is not None else ""
            data = json.loads(text, parse_float=_finite, parse_constant=_no_constants, object_pairs_hook=_unique_keys)
        except DuplicateKey as error:
            raise ParseError(f"The JSON body names the key {str(error)[:100]!r} twice: give each key once.") from None
        except RecursionError:
            raise ParseError(f"The JSON body is nested too deeply (at most {MAX_JSON_DEPTH} levels).") from None
        except (ValueError, UnicodeDecodeError) as error:
            raise ParseError(f"The body is not valid JSON: {str(error)[:200]}") from None
        if json_depth(data) > MAX_JSON_DEPTH:
            raise ParseError(f"The JSON body is nested too deeply (at most {MAX_JSON_DEPTH} levels).")
        if has_unpaired_surrogate(data):
            raise ParseError(
                "The JSON body holds an escape of an unpaired surrogate (such as \\ud800), which is not text: "
                "send the character itself, or both halves of its pair."
            )
        return data


def object_id(data: Any) -> int | None:
    """`data` as an object id (a whole number from 1 to the largest bigint), or None if it is not one."""
    if isinstance(data, bool):
        return None
    if isinstance(data, int):
        number = data
    elif isinstance(data, str) and _WHOLE_NUMBER.fullmatch(data.strip()):
        number = int(data.strip())
    else:
        return None
    return number if 1 <= number <= bounds.ID_MAX else None


@extend_schema_field(OpenApiTypes.INT)
class ObjectIdField(serializers.PrimaryKeyRelatedField[Any]):
    """A reference to an object by its id, refusing anything that is not a whole number a bigint can hold
    before the database is asked (an id of 1e400 or 99999999999999999999 is a field error, not a 500)."""

    default_error_messages = {
        **serializers.PrimaryKeyRelatedField.default_error_messages,
        "incorrect_type": "Give the id as a whole number, not {data_type}.",
        # Plain words, the same for an id that exists out of the caller's scope and one that exists nowhere
        # (no existence leak; DESIGN 3.2), rather than DRF's 'Invalid pk "7" - object does not exist.'
        "does_not_exist": "Nothing you can reach has the id {pk_value}. Check the number.",
    }

    def to_internal_value(self, data: Any) -> Any:
        number = object_id(data)
        if number is None:
            if (isinstance(data, int) and not isinstance(data, bool)) or (isinstance(data, str) and data.isdigit()):
                self.fail("does_not_exist", pk_value=data)
            self.fail("incorrect_type", data_type=type(data).__name__)
        return super().to_internal_value(number)


ISO_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")


class RealDateField(serializers.DateField):
    """A date in YYYY-MM-DD whose refusal says what is wrong: `2026-02-29` has the right format but is no day
    (2026 is not a leap year), and "wrong format" would send the caller looking in the wrong place."""

    def to_internal_value(self, value: Any) -> Any:
        if isinstance(value, str) and ISO_DAY.fullmatch(value.strip()):
            try:
                date.fromisoformat(value.strip())
            except ValueError:
                raise serializers.ValidationError(
                    f"{value.strip()} is not a real date: check the day and the month (29 February is only in "
                    "leap years).",
                    code="invalid",
                ) from None
        return super().to_internal_value(value)


class EraDateField(RealDateField):
    """A date no earlier than 2000 and no later than 2099 (isp_portal.bounds): year 1 and 9999 are typing
    mistakes or probes, and the database refuses them. Tighter windows per meaning are in the services."""

    def to_internal_value(self, value: Any) -> Any:
        parsed = super().to_internal_value(value)
        if not bounds.date_in_era(parsed):
            raise serializers.ValidationError(bounds.ERA_ERROR, code="implausible")
        return parsed


def id_filter(**kwargs: Any) -> serializers.IntegerField:
    """A query-string filter by an object's id: a whole number a bigint can hold."""
    return serializers.IntegerField(min_value=1, max_value=bounds.ID_MAX, **kwargs)
