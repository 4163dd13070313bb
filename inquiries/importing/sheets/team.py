"""The team sheet: people, their roles and teams."""

from __future__ import annotations

from django.contrib.auth.hashers import make_password
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from accounts.models import AuditEvent, Role, User

from .. import parsers as p
from .base import BatchOutcome, SheetImporter, _audit, _diff, _text_key


class TeamImporter(SheetImporter):
    kind = "team"
    roles = (Role.OPS_MANAGER,)  # as the team pages
    refusal = gettext_noop("Only an operations manager can import the team sheet.")
    FIELDS = ("display_name", "role", "email", "rfq_quota", "is_active")

    def raw_key(self, row):
        return _text_key(row.raw("username")) or None

    def import_batch(self, rows):
        outcome = BatchOutcome()
        by = self.ctx.by
        parsed = self._parse(rows)
        existing = self.ctx.users(v["username"] for _row, v in parsed)
        creates, updates, events = [], [], []
        for row, values in parsed:
            user = existing.get(values["username"])
            if self._refused(row, user, values) or not self.claim(row, values["username"], "username"):
                continue
            if user is None:
                creates.append(self._new_user(values))
                outcome.created += 1
                continue
            changes = _diff(user, {k: values[k] for k in self.FIELDS})
            if changes:
                updates.append(user)
                events.append(
                    _audit(
                        action="user.import_update",
                        target=user,
                        by=by,
                        summary=_("Team member %(name)s changed by import") % {"name": user.username},
                        changes=changes,
                    )
                )
                outcome.updated += 1
            else:
                outcome.unchanged += 1
        User.objects.bulk_create(creates, batch_size=500)
        for user in creates:
            self.ctx.remember_user(user)
            events.append(
                _audit(
                    action="user.import_create",
                    target=user,
                    by=by,
                    summary=_("Team member %(name)s added by import") % {"name": user.username},
                    changes={"role": user.role, "is_active": user.is_active},
                )
            )
        User.objects.bulk_update(updates, list(self.FIELDS), batch_size=1000)
        AuditEvent.objects.bulk_create(events, batch_size=500)
        self._collect(outcome, rows)
        return outcome

    @staticmethod
    def _parse(rows) -> list[tuple]:
        parsed = []
        for row in rows:
            values = {
                "username": row.get("username", p.parse_username, required=True),
                "display_name": row.get("name", p.parse_text, 100),
                "role": row.get("role", p.parse_choice, p.ROLE_CHOICES, required=True),
                "email": row.get("email", p.parse_email),
                "rfq_quota": row.get("rfq_quota", p.parse_whole_number),
                "is_active": row.get("active", p.parse_yes_no),
            }
            if not row.problems:
                parsed.append((row, values))
        return parsed

    def _refused(self, row, user: User | None, values: dict) -> bool:
        """Whether the row changes someone the importing person may not change (the row rejected)."""
        by = self.ctx.by
        if user is not None and user.is_superuser and not (by is None or by.is_superuser):
            row.reject("username", gettext_noop("An administrator cannot be changed by import."))
            return True
        if (
            user is not None
            and by is not None
            and user.pk == by.pk
            and (values["role"] != user.role or values["is_active"] is False)
        ):
            row.reject("role", gettext_noop("You cannot change your own role or deactivate yourself by import."))
            return True
        return False

    @staticmethod
    def _new_user(values: dict) -> User:
        return User(
            username=values["username"],
            display_name=values["display_name"] or "",
            role=values["role"],
            email=values["email"] or "",
            rfq_quota=values["rfq_quota"],
            is_active=values["is_active"] if values["is_active"] is not None else True,
            # No usable password: an administrator sets one, or the person resets it.
            password=make_password(None),
        )
