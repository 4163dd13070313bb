"""The operations manager's robots and each person's chat contact, as the pages change them."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _
from django.views.decorators.debug import sensitive_variables

from accounts.audit import audit_record
from accounts.models import ChatContact, ChatRobot, NotifyEvent, User

from . import messages, robots


def robot_secret_shown(robot: ChatRobot) -> dict[str, str]:
    """What a page may show of a robot's credentials: the address masked, the secret's presence."""
    return {
        "webhook_url": robots.mask(robot.webhook_url) if robot.webhook_url else "",
        "secret": "••••••" + robot.secret[-2:] if robot.secret else "",
    }


@sensitive_variables("webhook_url", "secret")
def robot_save(
    *,
    robot: ChatRobot | None,
    by: User,
    name: str,
    kind: str,
    webhook_url: str = "",
    secret: str = "",
    is_default: bool = False,
    is_active: bool = True,
) -> ChatRobot:
    """Add a robot or change one. An empty address or secret on a change keeps the stored one; a
    new address must be the robot's official one. The audit row never holds a credential."""
    # Not @transaction.atomic: its wrapper's frame would show the arguments on an error page.
    with transaction.atomic():
        creating = robot is None
        robot = ChatRobot(kind=kind) if creating else ChatRobot.objects.select_for_update().get(pk=robot.pk)
        webhook_url, secret = webhook_url.strip(), secret.strip()
        if creating and not webhook_url:
            raise ValidationError({"webhook_url": _("Paste the robot's webhook address.")})
        if ChatRobot.objects.filter(name__iexact=name.strip()).exclude(pk=robot.pk).exists():
            raise ValidationError({"name": _("A robot with this name exists already.")})
        changes = _robot_credentials_apply(robot, kind=kind, webhook_url=webhook_url, secret=secret)
        for attr, value in (
            ("name", name.strip()),
            ("kind", kind),
            ("is_default", is_default),
            ("is_active", is_active),
        ):
            if getattr(robot, attr) != value:
                changes[attr] = [getattr(robot, attr), value]
                setattr(robot, attr, value)
        if "webhook_url" in changes or "secret" in changes or changes.get("is_active") == [False, True]:
            # New credentials deserve a fresh start.
            robot.failing_since, robot.consecutive_failures, robot.last_error = None, 0, ""
        if is_default:
            ChatRobot.objects.filter(is_default=True).exclude(pk=robot.pk).update(is_default=False)
        robot.save()
        if creating or changes:
            audit_record(
                actor=by,
                action="notify.robot_create" if creating else "notify.robot_update",
                target=robot,
                summary=(_("Chat robot %(name)s added") if creating else _("Chat robot %(name)s changed"))
                % {"name": robot.name},
                changes=changes,
            )
        return robot


@sensitive_variables("webhook_url", "secret")
def _robot_credentials_apply(robot: ChatRobot, *, kind: str, webhook_url: str, secret: str) -> dict:
    """Set a new address or secret on `robot` (checked, never an empty one over a stored one) and
    return the changes as the audit row shows them: masked, never the credential itself."""
    changes = {}
    if webhook_url:
        robots.robot_url_check(kind, webhook_url)
        if webhook_url != robot.webhook_url:
            changes["webhook_url"] = [
                robots.mask(robot.webhook_url) if robot.webhook_url else None,
                robots.mask(webhook_url),
            ]
            robot.webhook_url = webhook_url
    elif kind != robot.kind:
        # The stored address belongs to the other kind of robot.
        robots.robot_url_check(kind, robot.webhook_url)
    if secret and secret != robot.secret:
        changes["secret"] = [_("(set)") if robot.secret else None, _("(changed)")]
        robot.secret = secret
    if kind == robots.DINGTALK and not robot.secret:
        raise ValidationError({"secret": _("A DingTalk robot needs its signing secret (SEC…).")})
    return changes


def robot_test(*, robot: ChatRobot) -> robots.Answer:
    """Post a test message now (not through the outbox) and return the robot's answer; a success
    clears the robot's failing mark."""
    title, body = messages.render(NotifyEvent.TEST, {"robot": robot.name}, settings.LANGUAGE_CODE)
    message = robots.Message(
        title=title, body=body, url=settings.SITE_URL + "/", link_label=messages.link_label(settings.LANGUAGE_CODE)
    )
    answer = robots.post(
        kind=robot.kind, url=robot.webhook_url, secret=robot.secret, payload=robots.payload_for(robot.kind, message)
    )
    if answer.ok:
        ChatRobot.objects.filter(pk=robot.pk).update(failing_since=None, consecutive_failures=0, last_error="")
    else:
        ChatRobot.objects.filter(pk=robot.pk).update(last_error=answer.text[:300])
    return answer


CONTACT_FIELDS = ("robot", "wecom_userid", "mobile", "language", "muted")


@transaction.atomic
def chat_contact_update(*, user: User, by: User, **fields) -> ChatContact:
    """Change how the robots reach `user` (robot, WeCom id, mobile) or what they hear (language,
    events turned off); audited."""
    unknown = set(fields) - set(CONTACT_FIELDS)
    if unknown:
        raise ValueError(f"not editable here: {sorted(unknown)}")
    contact, _created = ChatContact.objects.select_for_update().get_or_create(user=user)
    if "mobile" in fields:
        fields["mobile"] = "".join(ch for ch in fields["mobile"] if ch.isdigit() or ch == "+")
    if "muted" in fields:
        fields["muted"] = sorted(set(fields["muted"]) & set(NotifyEvent.values))
    if "language" in fields and fields["language"] not in dict(settings.LANGUAGES):
        raise ValidationError({"language": _("Choose a language of the site.")})
    changes = {}
    for name, value in fields.items():
        old = getattr(contact, name)
        if old != value:
            changes[name] = [getattr(old, "pk", old), getattr(value, "pk", value)]
            setattr(contact, name, value)
    if changes:
        contact.save()
        audit_record(
            actor=by,
            action="notify.contact_update",
            target=user,
            summary=_("Chat alerts of %(name)s changed") % {"name": user.label},
            changes=changes,
        )
    return contact
