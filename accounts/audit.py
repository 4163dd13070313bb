"""The audit trail: every service that writes something that matters calls audit_record."""

from __future__ import annotations

from typing import Any

from django.db import models

from .models import AuditEvent, User


def audit_record(
    *,
    actor: User | None,
    action: str,
    target: models.Model,
    summary: str,
    changes: dict[str, Any] | None = None,
    inquiry=None,
) -> AuditEvent:
    """Write one audit row; `changes` maps a field to [old, new] or holds the values written."""
    return AuditEvent.objects.create(
        actor=actor if actor is not None and actor.pk else None,
        action=action,
        target_type=target._meta.label_lower,
        target_id=str(target.pk or ""),
        inquiry=inquiry,
        summary=summary[:500],
        changes=_jsonable(changes or {}),
    )


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, models.Model):
        return str(value.pk)
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    return str(value)
