"""Notifications through an outbox (发件箱).

Messages are rows written in the transaction of the change they report; ``outbox_dispatch``
(run by ``safetynet outbox-dispatch`` on a schedule) hands them to a channel adapter and
retries with back-off. SMS and app gateways are adapters; the logging/file adapter stands in
until a real gateway is configured.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from dataclasses import dataclass
from typing import Any, Protocol

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from safetynet.cases.models import OutboxChannel, OutboxMessage, OutboxStatus

logger = logging.getLogger(__name__)

TEMPLATES: dict[str, str] = {
    "case.status_changed": "【社会救助】您的{programme}申请（编号{case_id}）：{where}{next}{deadline}",
    "case.decision_adverse": "【社会救助】您的{programme}申请（编号{case_id}）：{where}理由：{reason}。{appeal}",
}


def render(template: str, payload: dict[str, Any]) -> str:
    return TEMPLATES[template].format_map({k: v if v is not None else "" for k, v in payload.items()})


class Adapter(Protocol):
    def send(self, *, recipient: str, text: str, message: OutboxMessage) -> None: ...


class FileAdapter:
    """Appends each message as a JSON line to ``SAFETYNET_HOME/outbox/<channel>.jsonl``."""

    def __init__(self, channel: str) -> None:
        self.channel = channel

    def send(self, *, recipient: str, text: str, message: OutboxMessage) -> None:
        directory = settings.HOME / "outbox"
        directory.mkdir(parents=True, exist_ok=True)
        line = json.dumps({"id": message.pk, "to": recipient, "text": text}, ensure_ascii=False)
        with open(directory / f"{self.channel}.jsonl", "a", encoding="utf-8") as f:
            f.write(line + "\n")
        logger.info("outbox %s → %s: %s", self.channel, recipient, text)


ADAPTERS: dict[str, Adapter] = {OutboxChannel.SMS: FileAdapter("sms"), OutboxChannel.APP: FileAdapter("app")}

MAX_ATTEMPTS = 5


def outbox_enqueue(
    *, channel: str, recipient: str, template: str, payload: dict[str, Any], idempotency_key: str, case=None
) -> OutboxMessage | None:
    """Queue one message inside the caller's transaction; a repeated key queues nothing."""
    if not recipient:
        return None
    if OutboxMessage.objects.filter(idempotency_key=idempotency_key).exists():
        return None
    return OutboxMessage.objects.create(
        channel=channel,
        recipient=recipient,
        template=template,
        payload=payload,
        case=case,
        idempotency_key=idempotency_key,
        next_attempt_at=timezone.now(),
    )


@dataclass(frozen=True)
class DispatchResult:
    sent: int
    retrying: int
    failed: int


def _backoff(attempts: int) -> dt.timedelta:
    return dt.timedelta(minutes=2 ** min(attempts, 8))


def outbox_dispatch(*, now: dt.datetime | None = None, limit: int = 500) -> DispatchResult:
    """Send what is due. Each message is claimed under its own row lock (skipping rows another
    dispatcher holds), so two dispatchers never send one message twice."""
    now = now or timezone.now()
    ids = list(
        OutboxMessage.objects.filter(status=OutboxStatus.PENDING, next_attempt_at__lte=now)
        .order_by("next_attempt_at", "id")
        .values_list("id", flat=True)[:limit]
    )
    sent = retrying = failed = 0
    skip_locked = connection.features.has_select_for_update_skip_locked
    for pk in ids:
        with transaction.atomic():
            qs = OutboxMessage.objects.filter(pk=pk, status=OutboxStatus.PENDING)
            msg = qs.select_for_update(skip_locked=skip_locked).first()
            if msg is None:
                continue
            msg.attempts += 1
            try:
                ADAPTERS[msg.channel].send(recipient=msg.recipient, text=render(msg.template, msg.payload), message=msg)
            except Exception as exc:  # a gateway failure is recorded and retried, never swallowed
                msg.last_error = f"{type(exc).__name__}: {exc}"[:300]
                if msg.attempts >= MAX_ATTEMPTS:
                    msg.status = OutboxStatus.FAILED
                    failed += 1
                else:
                    msg.next_attempt_at = now + _backoff(msg.attempts)
                    retrying += 1
                logger.warning("outbox message %s failed (attempt %s): %s", msg.pk, msg.attempts, msg.last_error)
            else:
                msg.status, msg.sent_at, msg.last_error = OutboxStatus.SENT, timezone.now(), ""
                sent += 1
            msg.save(update_fields=["attempts", "status", "sent_at", "last_error", "next_attempt_at"])
    return DispatchResult(sent=sent, retrying=retrying, failed=failed)
