"""Reads of the chat robot pages."""

from django.db.models import Count, Q, QuerySet

from accounts.models import ChatRobot, OutboxMessage


def robots_overview() -> QuerySet[ChatRobot]:
    """Every robot with its waiting and failed message counts, in one query."""
    return ChatRobot.objects.annotate(
        waiting=Count("messages", filter=Q(messages__status=OutboxMessage.Status.PENDING)),
        failed=Count(
            "messages",
            filter=Q(messages__status__in=(OutboxMessage.Status.FAILED, OutboxMessage.Status.UNCONFIRMED)),
        ),
        people=Count("contacts", distinct=True),
    ).order_by("name")


def failing_robots() -> list[ChatRobot]:
    return list(ChatRobot.objects.filter(failing_since__isnull=False, is_active=True).order_by("name"))


def delivery_log(*, status: str = "") -> QuerySet[OutboxMessage]:
    """The outbox, newest first, with its robot and recipient."""
    qs = OutboxMessage.objects.select_related("robot", "recipient").order_by("-created_at", "-id")
    if status:
        qs = qs.filter(status=status)
    return qs
