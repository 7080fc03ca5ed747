"""The bare view: one primary-key read of a 1,000,000-row table and one audit-shaped insert."""

from __future__ import annotations

import contextlib
import os
import random
import uuid
from typing import Any

from django.db import connection
from django.http import HttpRequest, HttpResponse
from django.utils import timezone

from benchmarks.baseline.models import BenchEvent, BenchRow

ROWS = 1_000_000
COUNT_STATEMENTS = os.environ.get("ISP_COUNT_STATEMENTS") == "1"


def read_and_insert(request: HttpRequest) -> HttpResponse:
    statements = [0]

    def count(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        statements[0] += 1
        return execute(sql, params, many, context)

    with connection.execute_wrapper(count) if COUNT_STATEMENTS else contextlib.nullcontext():
        row = BenchRow.objects.get(pk=random.randint(1, ROWS))
        BenchEvent.objects.create(
            occurred_at=timezone.now(),
            kind="record.view",
            outcome="success",
            actor_id=row.pk,
            actor_label="bench@example.invalid",
            actor_agency_id=1,
            actor_agency_label="Benchmark agency",
            actor_role="Practitioner",
            object_type="row",
            object_id=str(row.pk),
            object_label=row.name,
            child_id=None,
            purpose="benchmark",
            ip="127.0.0.1",
            request_id=uuid.uuid4(),
            detail={"status": row.status},
        )
    response = HttpResponse(f"<p>{row.name}</p>")
    if COUNT_STATEMENTS:
        response["X-Statements"] = str(statements[0])
        response["X-Statements-Before-View"] = "0"
    return response
