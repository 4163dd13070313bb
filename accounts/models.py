"""The company's side of the world: the team and its roles, the Alibaba.com accounts and who
holds them, the company settings, notifications, the audit trail and the reply rates Alibaba
measures for each account."""

from django.contrib.auth.models import AbstractUser, UserManager
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class Role(models.TextChoices):
    BOSS = "boss", _("Boss")
    OPS_MANAGER = "ops_manager", _("Operations manager")
    OPS = "ops", _("Operations")
    SALES = "sales", _("Salesperson")


# Who reads the whole company (everyone but a salesperson), who runs operations, and who reads
# the audit trail and enters the admin (the operations manager edits there, the boss reads).
READERS = (Role.BOSS, Role.OPS_MANAGER, Role.OPS)
OPERATIONS = (Role.OPS_MANAGER, Role.OPS)
OVERSEERS = (Role.OPS_MANAGER, Role.BOSS)


class UserQuerySet(models.QuerySet):
    def salespeople(self):
        return self.filter(role=Role.SALES)

    def active_salespeople(self):
        return self.filter(role=Role.SALES, is_active=True)

    def by_name(self):
        """In the order people are listed in every choice: by the name shown, then the username."""
        return self.order_by("display_name", "username")

    def operations(self):
        return self.filter(role__in=OPERATIONS)


class InquiryHubUserManager(UserManager.from_queryset(UserQuerySet)):
    pass


class User(AbstractUser):
    role = models.CharField(_("role"), max_length=20, choices=Role.choices, default=Role.SALES)
    display_name = models.CharField(_("display name"), max_length=100, blank=True)
    rfq_quota = models.PositiveIntegerField(
        _("monthly RFQ quota"), null=True, blank=True, help_text=_("RFQ quotes allowed per month.")
    )
    is_away = models.BooleanField(
        _("away"), default=False, help_text=_("On leave: allocation rules skip this salesperson.")
    )

    objects = InquiryHubUserManager()

    class Meta:
        verbose_name = _("team member")
        verbose_name_plural = _("team")
        ordering = ["username"]

    def __str__(self):
        return self.display_name or self.username

    @property
    def label(self) -> str:
        return self.display_name or self.username

    @property
    def is_boss(self) -> bool:
        return self.role == Role.BOSS

    @property
    def is_operations(self) -> bool:
        return self.role in OPERATIONS

    @property
    def is_ops_manager(self) -> bool:
        return self.role == Role.OPS_MANAGER

    @property
    def is_sales(self) -> bool:
        return self.role == Role.SALES

    @property
    def reads_everything(self) -> bool:
        """Boss and operations see the whole company; a salesperson only their own."""
        return self.role in READERS


class AccountKind(models.TextChoices):
    MAIN = "main", _("Main account")
    SUB = "sub", _("Sub-account")


class Account(models.Model):
    code = models.CharField(_("account code"), max_length=100, unique=True)
    name = models.CharField(_("name"), max_length=200, blank=True)
    kind = models.CharField(_("kind"), max_length=10, choices=AccountKind.choices, default=AccountKind.MAIN)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("main account"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="sub_accounts",
        limit_choices_to={"kind": AccountKind.MAIN},
    )
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("Alibaba account")
        verbose_name_plural = _("Alibaba accounts")
        ordering = ["code"]
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(kind=AccountKind.MAIN, parent__isnull=True) | Q(kind=AccountKind.SUB, parent__isnull=False)
                ),
                name="account_sub_has_main_main_has_none",
                violation_error_message=_("A sub-account needs its main account; a main account has none."),
            ),
        ]

    def __str__(self):
        return f"{self.name} ({self.code})" if self.name else self.code


class AccountHolding(models.Model):
    """Who held which account, from when to when: holding is history, not a field."""

    account = models.ForeignKey(Account, verbose_name=_("account"), on_delete=models.CASCADE, related_name="holdings")
    holder = models.ForeignKey(User, verbose_name=_("holder"), on_delete=models.PROTECT, related_name="holdings")
    started_at = models.DateTimeField(_("from"), default=timezone.now)
    ended_at = models.DateTimeField(_("until"), null=True, blank=True)
    assigned_by = models.ForeignKey(
        User, verbose_name=_("handed over by"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("account holding")
        verbose_name_plural = _("account holdings")
        ordering = ["account", "-started_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["account"], condition=Q(ended_at__isnull=True), name="account_one_open_holding"
            ),
            models.CheckConstraint(
                condition=Q(ended_at__isnull=True) | Q(ended_at__gte=models.F("started_at")),
                name="account_holding_ends_after_start",
            ),
        ]

    def __str__(self):
        return f"{self.account.code} → {self.holder}"


class CompanySettings(models.Model):
    """The company's own settings; one row, created on first use."""

    name = models.CharField(_("company name"), max_length=200, default="", blank=True)
    attribution_window_days = models.PositiveIntegerField(
        _("attribution window (days)"),
        default=30,
        help_text=_("An order counts for an inquiry when won within this many days of its arrival."),
    )
    # Two settings on purpose: the deadline raises alerts and reallocates today; the report's bar
    # judges whole months, and a company may tighten the alert without changing how months compare.
    reply_deadline_hours = models.PositiveIntegerField(
        _("reply deadline for alerts (hours)"),
        default=24,
        help_text=_(
            "Counted from allocation. Past it, an inquiry still without a reply is marked overdue, its "
            "salesperson and operations are notified, and a rule may reallocate it."
        ),
    )
    sales_sla_hours = models.PositiveIntegerField(
        _("reply bar in the monthly report (hours)"),
        default=24,
        help_text=_(
            'Also counted from allocation. The monthly report\'s "Reply within deadline" rate counts first '
            "replies within this many hours. Keep it equal to the alert deadline unless the months should be "
            "judged by another bar."
        ),
    )
    deadline_warning_hours = models.PositiveIntegerField(
        _("deadline warning (hours before)"),
        default=4,
        help_text=_("A chat message warns the salesperson when this much time is left to reply."),
    )

    class Meta:
        verbose_name = _("company settings")
        verbose_name_plural = _("company settings")

    def __str__(self):
        return str(_("Company settings"))

    @classmethod
    def load(cls) -> "CompanySettings":
        obj, _created = cls.objects.get_or_create(pk=1)
        return obj


class Notification(models.Model):
    class Kind(models.TextChoices):
        OVERDUE = "overdue", _("Reply overdue")
        ALLOCATED = "allocated", _("Inquiry allocated")
        DISPUTE = "dispute", _("Quality dispute")
        REPORT = "report", _("Report ready")
        IMPORT = "import", _("Import finished")
        POOL = "pool", _("Public pool")
        ROBOT = "robot", _("Chat robot failing")

    recipient = models.ForeignKey(User, on_delete=models.CASCADE, related_name="notifications")
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    message = models.CharField(_("message"), max_length=500)
    link = models.CharField(_("link"), max_length=300, blank=True)
    inquiry = models.ForeignKey(
        "inquiries.Inquiry", null=True, blank=True, on_delete=models.CASCADE, related_name="notifications"
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    read_at = models.DateTimeField(_("read"), null=True, blank=True)

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["recipient", "read_at"], name="notification_unread_idx")]

    def __str__(self):
        return self.message


class AuditEvent(models.Model):
    """One write that matters: who, when, what, and the values that changed. Never edited."""

    actor = models.ForeignKey(
        User, verbose_name=_("by"), null=True, blank=True, on_delete=models.SET_NULL, related_name="audit_events"
    )
    action = models.CharField(_("action"), max_length=50, db_index=True)
    target_type = models.CharField(_("object type"), max_length=50)
    target_id = models.CharField(_("object id"), max_length=50, blank=True)
    inquiry = models.ForeignKey(
        "inquiries.Inquiry", null=True, blank=True, on_delete=models.CASCADE, related_name="audit_events"
    )
    summary = models.CharField(_("summary"), max_length=500)
    changes = models.JSONField(_("changes"), default=dict, blank=True)
    created_at = models.DateTimeField(_("when"), default=timezone.now, db_index=True)

    class Meta:
        verbose_name = _("audit event")
        verbose_name_plural = _("audit trail")
        ordering = ["-created_at", "-id"]

    def __str__(self):
        return f"{self.created_at:%Y-%m-%d %H:%M} {self.action} {self.summary}"


class AlibabaName(models.Model):
    """The name a team member goes by in Alibaba's back office (员工分析), linked once to the person."""

    name = models.CharField(_("name in Alibaba"), max_length=100, unique=True)
    person = models.ForeignKey(User, verbose_name=_("team member"), on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    class Meta:
        verbose_name = _("Alibaba name")
        verbose_name_plural = _("Alibaba names")
        ordering = ["name"]

    def __str__(self):
        return self.name


class AlibabaStaffMonth(models.Model):
    """Alibaba's own figures for one salesperson and month (数据管家 → 员工分析), as imported."""

    person = models.ForeignKey(User, verbose_name=_("salesperson"), on_delete=models.CASCADE, related_name="+")
    month = models.DateField(_("month"), help_text=_("First day of the month."))
    alibaba_name = models.CharField(_("name in Alibaba"), max_length=100, blank=True)
    inquiries = models.PositiveIntegerField(_("inquiries"), null=True, blank=True)
    tm_customers = models.PositiveIntegerField(_("TM chat customers"), null=True, blank=True)
    reply_rate = models.DecimalField(_("reply rate"), max_digits=5, decimal_places=4, null=True, blank=True)
    fast_reply_rate = models.DecimalField(
        _("5-minute reply rate"), max_digits=5, decimal_places=4, null=True, blank=True
    )
    avg_reply_hours = models.DecimalField(
        _("average reply time (hours)"), max_digits=8, decimal_places=2, null=True, blank=True
    )
    ta_orders = models.PositiveIntegerField(_("trade-assurance orders"), null=True, blank=True)
    revenue_usd = models.DecimalField(
        _("revenue received (USD)"), max_digits=14, decimal_places=2, null=True, blank=True
    )
    rfq_reply_rate = models.DecimalField(_("RFQ reply rate"), max_digits=5, decimal_places=4, null=True, blank=True)
    login_days = models.PositiveIntegerField(_("login days"), null=True, blank=True)
    imported_at = models.DateTimeField(_("imported"), default=timezone.now)

    FIGURES = (
        "inquiries", "tm_customers", "reply_rate", "fast_reply_rate", "avg_reply_hours",
        "ta_orders", "revenue_usd", "rfq_reply_rate", "login_days",
    )  # fmt: skip

    class Meta:
        verbose_name = _("Alibaba staff figures")
        verbose_name_plural = _("Alibaba staff figures")
        ordering = ["-month", "person"]
        constraints = [models.UniqueConstraint(fields=["person", "month"], name="alibaba_staff_month_unique")]

    def __str__(self):
        return f"{self.alibaba_name or self.person_id} {self.month:%Y-%m}"


class ReplyRateSnapshot(models.Model):
    """The reply rate Alibaba's back office showed for an account on a day (imported)."""

    account = models.ForeignKey(
        "accounts.Account", verbose_name=_("account"), on_delete=models.CASCADE, related_name="reply_rates"
    )
    date = models.DateField(_("date"))
    reply_rate = models.DecimalField(_("reply rate"), max_digits=5, decimal_places=4)
    avg_reply_hours = models.DecimalField(
        _("average reply time (hours)"), max_digits=8, decimal_places=2, null=True, blank=True
    )

    class Meta:
        # Moved from reports: the table keeps its name, no row moved.
        db_table = "reports_replyratesnapshot"
        verbose_name = _("reply-rate snapshot")
        verbose_name_plural = _("reply-rate snapshots")
        ordering = ["account", "-date"]
        constraints = [
            models.UniqueConstraint(fields=["account", "date"], name="reply_rate_one_per_account_day"),
            models.CheckConstraint(
                condition=Q(reply_rate__gte=0) & Q(reply_rate__lte=1), name="reply_rate_between_0_and_1"
            ),
            models.CheckConstraint(
                condition=Q(avg_reply_hours__isnull=True) | Q(avg_reply_hours__gte=0),
                name="reply_rate_hours_not_negative",
            ),
        ]

    def __str__(self):
        return f"{self.account.code} {self.date}: {self.reply_rate:.2%}"


# ---------------------------------------------------------------------------------------------
# Chat alerts: the robots that post to WeCom and DingTalk groups, each person's contact details
# and choices, and the outbox of messages (see accounts/notify/).


class NotifyEvent(models.TextChoices):
    """What a chat message is about; each person may turn any of them off."""

    ALLOCATED = "allocated", _("Inquiries allocated to me")
    DEADLINE_WARNING = "deadline_warning", _("A reply deadline is near")
    OVERDUE = "overdue", _("A reply deadline passed")
    OVERDUE_SUMMARY = "overdue_summary", _("Reply deadlines passed (operations summary)")
    DIGEST = "digest", _("Morning digest at 09:00")
    DISPUTE_FLAGGED = "dispute_flagged", _("A salesperson flagged an inquiry")
    DISPUTE_DECIDED = "dispute_decided", _("My flag was decided")
    IMPORT_FINISHED = "import_finished", _("My import finished")
    EXPORT_FINISHED = "export_finished", _("My export is ready")
    REPORT_READY = "report_ready", _("The monthly report is ready")
    POOL_WARNING = "pool_warning", _("My inquiries are about to go to the public pool")
    TEST = "test", _("Test message")


class ChatRobot(models.Model):
    """A group robot in WeCom (企业微信) or DingTalk (钉钉); its URL and secret are credentials."""

    class Kind(models.TextChoices):
        WECOM = "wecom", _("WeCom group robot")
        DINGTALK = "dingtalk", _("DingTalk robot")

    name = models.CharField(_("name"), max_length=100, unique=True)
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    webhook_url = models.CharField(_("webhook address"), max_length=500)
    secret = models.CharField(_("signing secret"), max_length=200, blank=True)
    is_default = models.BooleanField(
        _("default robot"), default=False, help_text=_("Messages of people without a robot of their own go here.")
    )
    is_active = models.BooleanField(_("in use"), default=True)
    # Sending times of the last minute, for pacing under the robot's limit (written under the row lock).
    recent_posts = models.JSONField(default=list, blank=True)
    consecutive_failures = models.PositiveIntegerField(default=0)
    failing_since = models.DateTimeField(_("failing since"), null=True, blank=True)
    last_error = models.CharField(_("last error"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("chat robot")
        verbose_name_plural = _("chat robots")
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["is_default"], condition=Q(is_default=True), name="chat_robot_one_default")
        ]

    def __str__(self):
        return self.name


class ChatContact(models.Model):
    """How the chat robots reach one person, and what they want to hear about."""

    user = models.OneToOneField(User, on_delete=models.CASCADE, related_name="chat_contact")
    robot = models.ForeignKey(
        ChatRobot,
        verbose_name=_("robot"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="contacts",
        help_text=_("The group robot that reaches this person; empty: the default robot."),
    )
    wecom_userid = models.CharField(_("WeCom user id"), max_length=64, blank=True)
    mobile = models.CharField(_("mobile"), max_length=20, blank=True)
    language = models.CharField(_("language of the messages"), max_length=10, default="zh-hans")
    muted = models.JSONField(_("turned off"), default=list, blank=True)

    class Meta:
        verbose_name = _("chat contact")
        verbose_name_plural = _("chat contacts")

    def __str__(self):
        return str(self.user)


class OutboxMessage(models.Model):
    """One chat message to one person, written in the transaction of the event that causes it.

    `key` (event key + recipient) is unique: writing the same event twice, or a retried job, never
    makes a second message.
    """

    class Status(models.TextChoices):
        PENDING = "pending", pgettext_lazy("job status", "Waiting")
        SENDING = "sending", _("Sending")
        SENT = "sent", _("Sent")
        FAILED = "failed", _("Failed")
        UNCONFIRMED = "unconfirmed", _("Unconfirmed")

    key = models.CharField(max_length=200, unique=True)
    event_key = models.CharField(max_length=150)
    event = models.CharField(_("event"), max_length=20, choices=NotifyEvent.choices)
    recipient = models.ForeignKey(
        User, verbose_name=_("to"), null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    robot = models.ForeignKey(ChatRobot, verbose_name=_("robot"), on_delete=models.CASCADE, related_name="messages")
    params = models.JSONField(default=dict)
    path = models.CharField(_("link"), max_length=300, blank=True)
    status = models.CharField(_("status"), max_length=12, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(default=timezone.now)
    claimed_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)
    last_error = models.CharField(_("reason"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now, db_index=True)

    class Meta:
        verbose_name = _("chat message")
        verbose_name_plural = _("chat messages")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["robot", "next_attempt_at"], condition=Q(status="pending"), name="outbox_pending_idx"),
        ]

    def __str__(self):
        return self.key
