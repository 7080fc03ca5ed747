"""An email backend for fault tests: records each message (Message-ID and recipient) to a file the moment it
is handed over, then waits, so a test can kill the sender mid-batch. Used by a real worker process too
(EMAIL_BACKEND=tests.fault_mail_backend.RecordingSlowBackend)."""

from __future__ import annotations

import json
import os
import time
from collections.abc import Sequence
from typing import Any

from django.core.mail.backends.base import BaseEmailBackend
from django.core.mail.message import EmailMessage


class RecordingSlowBackend(BaseEmailBackend):
    def send_messages(self, email_messages: Sequence[EmailMessage]) -> int:
        path = os.environ["FAULT_MAIL_LOG"]
        delay = float(os.environ.get("FAULT_MAIL_DELAY", "0"))
        for message in email_messages:
            record: dict[str, Any] = {"message_id": message.message()["Message-ID"], "to": message.to}
            with open(path, "a") as log:
                log.write(json.dumps(record) + "\n")
                log.flush()
                os.fsync(log.fileno())
            time.sleep(delay)  # the message is out; the sender has not yet recorded it as sent
        return len(email_messages)


def sent_records(path: str) -> list[dict[str, Any]]:
    if not os.path.exists(path):
        return []
    with open(path) as log:
        return [json.loads(line) for line in log if line.strip()]
