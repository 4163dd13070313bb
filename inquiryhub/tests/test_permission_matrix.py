# ruff: noqa: E501 - the expectations are a table, one URL a line
"""The permission matrix: every URL of the site × every role × GET and POST → the exact status.

The URLs are enumerated from the URL configuration, so a new URL without a row in EXPECTATIONS
fails `test_every_url_has_an_expectation`. Adding a URL's expectations is one line:

    "app:name": Row("kwargs", get="boss ops_manager ops sales_a sales_b anonymous", post="..."),

where each status is a number, or `302L` for "redirected to a login page" (the anonymous
answer). POSTs send no data; a refused request (403, 404, 405, 302L) must write nothing.

The Django admin's hundred-odd URLs are all behind `InquiryHubAdminSite.has_permission`
(boss and operations manager only, boss read-only: see test_access.py); a representative subset
is listed in ADMIN_SAMPLE, and the test asserts every other admin URL is served by that site.
"""

import datetime as dt
from dataclasses import dataclass
from types import SimpleNamespace

import pytest
from django.contrib import admin
from django.contrib.auth.tokens import default_token_generator
from django.core.cache import cache
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from accounts.admin_site import InquiryHubAdminSite
from accounts.models import Account, AlibabaName, AuditEvent, ChatContact, ChatRobot, OutboxMessage, User
from inquiries import buyers, pool, services
from inquiries.exports import export_path
from inquiries.models import (
    Allocation,
    Buyer,
    ColumnMapping,
    FollowUp,
    ImportJob,
    Inquiry,
    InquiryExport,
    Order,
    PoolEvent,
    PoolSettings,
    QualityVerdict,
    RfqQuote,
)
from inquiryhub.tasks import HEARTBEAT_KEY
from reports.models import MonthlyReport
from tests.factories import AccountFactory, InquiryFactory, UserFactory, usd

ROLES = ("boss", "ops_manager", "ops", "sales_a", "sales_b", "anonymous")
METHODS = ("get", "post")
REFUSED = {"403", "404", "405", "302L"}


@dataclass(frozen=True)
class Row:
    """How to build a URL's arguments (a KWARGS key) and the expected status per role, in ROLES order."""

    kwargs: str | None
    get: str
    post: str

    def expected(self, method: str) -> dict[str, str]:
        statuses = getattr(self, method).split()
        assert len(statuses) == len(ROLES), f"{method}: one status per role in {ROLES}"
        return dict(zip(ROLES, statuses, strict=True))


# fmt: off
EXPECTATIONS: dict[str, Row] = {
    # ----------------------------------------------------------------- site           boss ops_m ops  s_a  s_b  anon
    "home":                              Row(None,        get="200 200 200 302 302 302L", post="200 200 200 302 302 302L"),
    "healthz":                           Row(None,        get="503 503 503 503 503 503", post="503 503 503 503 503 503"),
    "set_language":                      Row(None,        get="302 302 302 302 302 302", post="302 302 302 302 302 302"),
    # django.contrib.auth
    "login":                             Row(None,        get="200 200 200 200 200 200", post="200 200 200 200 200 200"),
    "logout":                            Row(None,        get="405 405 405 405 405 405", post="302L 302L 302L 302L 302L 302L"),
    "password_change":                   Row(None,        get="200 200 200 200 200 302L", post="200 200 200 200 200 302L"),
    "password_change_done":              Row(None,        get="200 200 200 200 200 302L", post="405 405 405 405 405 302L"),
    "password_reset":                    Row(None,        get="200 200 200 200 200 200", post="200 200 200 200 200 200"),
    "password_reset_done":               Row(None,        get="200 200 200 200 200 200", post="405 405 405 405 405 405"),
    "password_reset_confirm":            Row("reset",     get="302 302 302 302 302 302", post="302 302 302 302 302 302"),
    "password_reset_complete":           Row(None,        get="200 200 200 200 200 200", post="405 405 405 405 405 405"),
    # ----------------------------------------------------------------- team and accounts (operations manager)
    "accounts:team":                     Row(None,        get="403 200 403 403 403 302L", post="403 200 403 403 403 302L"),
    "accounts:member_create":            Row(None,        get="403 200 403 403 403 302L", post="403 200 403 403 403 302L"),
    "accounts:member_edit":              Row("member",    get="403 200 403 403 403 302L", post="403 200 403 403 403 302L"),
    "accounts:member_away":              Row("member",    get="403 405 403 403 403 302L", post="403 302 403 403 403 302L"),
    "accounts:accounts":                 Row(None,        get="403 200 403 403 403 302L", post="403 200 403 403 403 302L"),
    "accounts:account_create":           Row(None,        get="403 200 403 403 403 302L", post="403 200 403 403 403 302L"),
    "accounts:account_detail":           Row("account",   get="403 200 403 403 403 302L", post="403 200 403 403 403 302L"),
    "inquiries:account_hand_over":       Row("account",   get="403 405 403 403 403 302L", post="403 200 403 403 403 302L"),
    "accounts:company_settings":         Row(None,        get="403 200 403 403 403 302L", post="403 200 403 403 403 302L"),
    "accounts:audit":                    Row(None,        get="200 200 403 403 403 302L", post="200 200 403 403 403 302L"),
    "accounts:notifications":            Row(None,        get="200 200 200 200 200 302L", post="200 200 200 200 200 302L"),
    # chat alerts: robots and the delivery log (operations manager), a person's own choices (everyone)
    "accounts:robots":                   Row(None,        get="403 200 403 403 403 302L", post="403 200 403 403 403 302L"),
    "accounts:robot_create":             Row(None,        get="403 200 403 403 403 302L", post="403 200 403 403 403 302L"),
    "accounts:robot_edit":               Row("robot",     get="403 200 403 403 403 302L", post="403 200 403 403 403 302L"),
    "accounts:robot_test":               Row("robot",     get="403 405 403 403 403 302L", post="403 302 403 403 403 302L"),
    "accounts:deliveries":               Row(None,        get="403 200 403 403 403 302L", post="403 200 403 403 403 302L"),
    "accounts:delivery_resend":          Row("outbox",    get="403 405 403 403 403 302L", post="403 302 403 403 403 302L"),
    "accounts:member_chat":              Row("member",    get="403 200 403 403 403 302L", post="403 200 403 403 403 302L"),
    "accounts:my_alerts":                Row(None,        get="200 200 200 200 200 302L", post="200 200 200 200 200 302L"),
    # ----------------------------------------------------------------- inquiries: browse
    "inquiries:list":                    Row(None,        get="200 200 200 200 200 302L", post="200 200 200 200 200 302L"),
    "inquiries:detail":                  Row("inquiry",   get="200 200 200 200 404 302L", post="200 200 200 200 404 302L"),
    # ----------------------------------------------------------------- inquiries: the salesperson's workspace
    "inquiries:mine":                    Row(None,        get="403 403 403 200 200 302L", post="403 403 403 200 200 302L"),
    "inquiries:followup_create":         Row("inquiry",   get="403 403 403 200 404 302L", post="403 403 403 200 404 302L"),
    "inquiries:flag":                    Row("inquiry",   get="403 403 403 200 404 302L", post="403 403 403 200 404 302L"),
    "inquiries:order_create":            Row("inquiry",   get="403 403 403 200 404 302L", post="403 403 403 200 404 302L"),
    "inquiries:mark_lost":               Row("inquiry",   get="403 403 403 200 404 302L", post="403 403 403 200 404 302L"),
    "inquiries:rfq_link":                Row("inquiry",   get="403 403 403 405 405 302L", post="403 403 403 302 404 302L"),
    "inquiries:order_edit":              Row("order",     get="403 403 403 200 404 302L", post="403 403 403 200 404 302L"),
    "inquiries:order_cancel":            Row("order",     get="403 403 403 200 404 302L", post="403 403 403 200 404 302L"),
    "inquiries:rfq_quotes":              Row(None,        get="403 403 403 200 200 302L", post="403 403 403 200 200 302L"),
    # ----------------------------------------------------------------- inquiries: operations' workbench
    "inquiries:queue":                   Row(None,        get="403 200 200 403 403 302L", post="403 200 200 403 403 302L"),
    "inquiries:allocate":                Row(None,        get="403 405 405 403 403 302L", post="403 302 302 403 403 302L"),
    "inquiries:reassign":                Row("inquiry",   get="403 405 405 403 403 302L", post="403 302 302 403 403 302L"),
    "inquiries:disputes":                Row(None,        get="403 200 200 403 403 302L", post="403 200 200 403 403 302L"),
    "inquiries:decide":                  Row("inquiry",   get="403 405 405 403 403 302L", post="403 302 302 403 403 302L"),
    "inquiries:rules":                   Row(None,        get="403 200 200 403 403 302L", post="403 200 200 403 403 302L"),
    "inquiries:rules_preview":           Row(None,        get="403 200 200 403 403 302L", post="403 302 302 403 403 302L"),
    "inquiries:rule_edit":               Row("account",   get="403 200 200 403 403 302L", post="403 200 200 403 403 302L"),
    "inquiries:export":                  Row(None,        get="405 405 405 405 405 302L", post="302 302 302 302 302 302L"),
    "inquiries:exports":                 Row(None,        get="200 200 200 200 200 302L", post="200 200 200 200 200 302L"),
    "inquiries:export_download":         Row("export",    get="404 404 200 404 404 302L", post="404 404 200 404 404 302L"),
    # ----------------------------------------------------------------- inquiries: the public pool and buyers
    "inquiries:pool":                    Row(None,        get="200 200 200 200 200 302L", post="200 200 200 200 200 302L"),
    "inquiries:pool_claim":              Row("pooled",    get="403 403 403 405 405 302L", post="403 403 403 302 302 302L"),
    "inquiries:pool_allocate":           Row(None,        get="403 405 405 403 403 302L", post="403 302 302 403 403 302L"),
    "inquiries:pool_settings":           Row(None,        get="403 200 403 403 403 302L", post="403 200 403 403 403 302L"),
    "inquiries:my_buyers":               Row(None,        get="403 403 403 200 200 302L", post="403 403 403 200 200 302L"),
    "inquiries:buyer_detail":            Row("buyer",     get="200 200 200 200 404 302L", post="200 200 200 200 404 302L"),
    "inquiries:buyer_merge":             Row("buyer",     get="403 405 405 403 403 302L", post="403 302 302 403 403 302L"),
    # ----------------------------------------------------------------- inquiries: imports
    "inquiries:imports":                 Row(None,        get="403 200 200 403 403 302L", post="403 200 200 403 403 302L"),
    "inquiries:import_upload":           Row(None,        get="403 200 200 403 403 302L", post="403 400 400 403 403 302L"),
    "inquiries:import_template":         Row(None,        get="403 200 200 403 403 302L", post="403 200 200 403 403 302L"),
    "inquiries:import_detail":           Row("import",    get="403 200 200 403 403 302L", post="403 200 200 403 403 302L"),
    "inquiries:import_status":           Row("import",    get="403 200 200 403 403 302L", post="403 200 200 403 403 302L"),
    "inquiries:import_rejected_csv":     Row("import",    get="403 200 200 403 403 302L", post="403 200 200 403 403 302L"),
    "inquiries:import_mapping":          Row("import",    get="403 302 302 403 403 302L", post="403 302 302 403 403 302L"),
    "inquiries:import_mappings":         Row(None,        get="403 200 200 403 403 302L", post="403 200 200 403 403 302L"),
    "inquiries:import_mapping_rename":   Row("mapping",   get="403 302 302 403 403 302L", post="403 302 302 403 403 302L"),
    # Deleted by the first who may: the next finds nothing.
    "inquiries:import_mapping_delete":   Row("mapping",   get="403 302 302 403 403 302L", post="403 302 404 403 403 302L"),
    "inquiries:alibaba_names":           Row(None,        get="403 200 200 403 403 302L", post="403 400 400 403 403 302L"),
    "inquiries:alibaba_name_delete":     Row("alibaba_name", get="403 302 302 403 403 302L", post="403 302 404 403 403 302L"),
    # ----------------------------------------------------------------- reports
    "reports:month_json":                Row("month",     get="200 200 200 404 404 302L", post="405 405 405 405 405 405"),
    "reports:index":                     Row(None,        get="200 200 200 403 403 302L", post="405 405 405 405 405 405"),
    "reports:this_month":                Row(None,        get="200 200 200 403 403 302L", post="405 405 405 405 405 405"),
    "reports:drilldown":                 Row("month",     get="400 400 400 400 400 302L", post="405 405 405 405 405 405"),
    "reports:month":                     Row("month",     get="200 200 200 403 403 302L", post="405 405 405 405 405 405"),
    "reports:pdf":                       Row("month",     get="200 200 200 403 403 302L", post="405 405 405 405 405 405"),
    "reports:xlsx":                      Row("month",     get="200 200 200 403 403 302L", post="405 405 405 405 405 405"),
    "reports:recompute":                 Row("month",     get="405 405 405 405 405 405", post="403 302 302 403 403 302L"),
    "reports:mine":                      Row(None,        get="403 403 403 200 200 302L", post="405 405 405 405 405 405"),
    "reports:mine_month":                Row("month",     get="403 403 403 200 200 302L", post="405 405 405 405 405 405"),
    # ----------------------------------------------------------------- the admin (a sample; see the docstring)
    "admin:index":                       Row(None,        get="200 200 302L 302L 302L 302L", post="200 200 302L 302L 302L 302L"),
    "admin:login":                       Row(None,        get="302 302 200 200 200 200", post="200 200 200 200 200 200"),
    "admin:accounts_user_changelist":    Row(None,        get="200 200 302L 302L 302L 302L", post="200 200 302L 302L 302L 302L"),
    "admin:inquiries_inquiry_change":    Row("inquiry_admin", get="200 200 302L 302L 302L 302L", post="403 200 302L 302L 302L 302L"),
    "admin:auth_user_password_change":   Row("user_admin", get="403 200 302L 302L 302L 302L", post="403 200 302L 302L 302L 302L"),
    "admin:accounts_auditevent_changelist": Row(None,     get="200 200 302L 302L 302L 302L", post="200 200 302L 302L 302L 302L"),
}
# fmt: on
ADMIN_SAMPLE = {name for name in EXPECTATIONS if name.startswith("admin:")}


KWARGS = {
    None: lambda w: {},
    "inquiry": lambda w: {"pk": w.inquiry.pk},
    "pooled": lambda w: {"pk": w.pooled.pk},
    "buyer": lambda w: {"pk": w.inquiry.buyer_id},
    "inquiry_admin": lambda w: {"object_id": w.inquiry.pk},
    "user_admin": lambda w: {"id": w.member.pk},
    "order": lambda w: {"pk": w.order.pk},
    "member": lambda w: {"pk": w.member.pk},
    "account": lambda w: {"pk": w.account.pk},
    "robot": lambda w: {"pk": w.robot.pk},
    "outbox": lambda w: {"pk": w.outbox.pk},
    "rule_account": lambda w: {"account_pk": w.account.pk},
    "export": lambda w: {"pk": w.export.pk},
    "import": lambda w: {"pk": w.import_job.pk},
    "mapping": lambda w: {"pk": w.mapping.pk},
    "alibaba_name": lambda w: {"pk": w.alibaba_name.pk},
    "month": lambda w: {"month": w.month},
    "reset": lambda w: {
        "uidb64": urlsafe_base64_encode(force_bytes(w.forgetful.pk)),
        "token": default_token_generator.make_token(w.forgetful),
    },
}
# The rule page's keyword is account_pk, not pk.
KWARG_NAMES = {"inquiries:rule_edit": "rule_account"}

# The tables a refused request must leave untouched.
WATCHED = (Inquiry, Allocation, FollowUp, QualityVerdict, Order, RfqQuote, AuditEvent, ImportJob, InquiryExport,
           User, Account, MonthlyReport, Buyer, PoolEvent, PoolSettings, ChatRobot, ChatContact,
           OutboxMessage)  # fmt: skip


def enumerate_url_names(patterns=None, namespace: str = "") -> set[str]:
    """Every URL of the site as `namespace:name`; a pattern without a name counts as its route."""
    names = set()
    for pattern in get_resolver().url_patterns if patterns is None else patterns:
        if isinstance(pattern, URLResolver):
            inner = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
            names |= enumerate_url_names(pattern.url_patterns, inner)
        elif isinstance(pattern, URLPattern):
            names.add(f"{namespace}{pattern.name or f'<unnamed {pattern.pattern}>'}")
    return names


def admin_url_names() -> set[str]:
    return {name for name in enumerate_url_names() if name.startswith(f"{admin.site.name}:")}


@pytest.fixture
def world(cast, settings, tmp_path, robot_server):
    """One shared world: sales_a's inquiry (with a follow-up) and order, an account, an import, an export."""
    # /healthz answers 503 to everyone without a worker's heartbeat (one left by another test would
    # make it 200): it is public by design, the 503 is its answer about health.
    cache.delete(HEARTBEAT_KEY)
    settings.EXPORTS_ROOT = tmp_path / "exports"
    settings.MEDIA_ROOT = tmp_path / "media"
    sales_a, ops = cast["sales_a"], cast["ops"]
    account = AccountFactory(code="cn-matrix")
    inquiry = InquiryFactory(account=account)
    services.inquiry_allocate(inquiry=inquiry, salesperson=sales_a, by=ops)
    services.followup_log(inquiry=inquiry, author=sales_a, kind=FollowUp.Kind.REPLY, note="Sent the price list.")
    won = InquiryFactory(account=account)
    services.inquiry_allocate(inquiry=won, salesperson=sales_a, by=ops)
    order = services.order_record(by=sales_a, inquiry=won, won_at=timezone.now(), amount_usd=usd(1200))
    export = InquiryExport.objects.create(
        requested_by=ops, format="csv", status=InquiryExport.Status.DONE, file_name="matrix.csv"
    )
    export_path("matrix.csv").write_text("id\n1\n")
    import_job = ImportJob.objects.create(
        created_by=ops, original_name="history.csv", kind=ImportJob.Kind.CSV, sheet="inquiries", file="imports/h.csv"
    )
    mapping = ColumnMapping.objects.create(name="matrix", signature="0" * 40, sheet_kind="reply_detail")
    alibaba_name = AlibabaName.objects.create(name="Matrix Wang", person=sales_a)
    # An inquiry sales_b let go stale, waiting in the public pool.
    pooled = InquiryFactory(account=account, received_at=timezone.now() - dt.timedelta(days=9))
    services.inquiry_allocate(
        inquiry=pooled, salesperson=cast["sales_b"], by=ops, at=timezone.now() - dt.timedelta(days=8)
    )
    pool.pool_recycle()
    buyers.buyers_match_unmatched()
    inquiry.refresh_from_db()
    last_month = (timezone.localdate().replace(day=1) - dt.timedelta(days=1)).strftime("%Y-%m")
    # A robot on the tests' loopback server (a test message really posts), and a failed message.
    robot = ChatRobot.objects.create(name="销售群", kind="wecom", webhook_url=robot_server.wecom_url)
    outbox = OutboxMessage.objects.create(
        key="matrix:1", event_key="matrix", event="test", robot=robot, status=OutboxMessage.Status.FAILED
    )
    return SimpleNamespace(
        **cast,
        anonymous=None,
        inquiry=inquiry,
        pooled=pooled,
        order=order,
        account=account,
        member=cast["sales_b"],
        # Nobody logs in as this one during the test, so that the reset token stays valid.
        forgetful=UserFactory(username="forgetful", role="sales"),
        export=export,
        import_job=import_job,
        mapping=mapping,
        alibaba_name=alibaba_name,
        month=last_month,
        robot=robot,
        outbox=outbox,
    )


def counts() -> dict[str, int]:
    return {model.__name__: model.objects.count() for model in WATCHED}


def request_as(world, role: str, method: str, url: str):
    client = Client()
    user = getattr(world, role)
    if user is not None:
        client.force_login(user)
    return getattr(client, method)(url)


def status_of(response) -> str:
    if response.status_code == 302 and "login" in response.get("Location", ""):
        return "302L"
    return str(response.status_code)


def test_every_url_has_an_expectation():
    """A URL added without its row in EXPECTATIONS fails here (the admin: see ADMIN_SAMPLE)."""
    site_names = enumerate_url_names() - admin_url_names()
    assert site_names == set(EXPECTATIONS) - ADMIN_SAMPLE
    assert admin_url_names() >= ADMIN_SAMPLE
    # The figure docs/security.md quotes (pytest -s shows it).
    print(f"permission matrix: {len(EXPECTATIONS)} URLs x {len(ROLES)} roles x {len(METHODS)} methods")


def test_every_admin_url_is_served_by_the_guarded_admin_site():
    """Every admin URL but its login page goes through
    `admin.site.admin_view`, i.e. through `has_permission`."""
    resolver = next(p for p in get_resolver().url_patterns if getattr(p, "app_name", None) == "admin")
    unguarded = set()
    for pattern in _walk(resolver.url_patterns):
        callback = pattern.callback
        site = getattr(callback, "admin_site", None) or getattr(
            getattr(callback, "model_admin", None), "admin_site", None
        )
        if not isinstance(site, InquiryHubAdminSite):
            unguarded.add(pattern.name or str(pattern.pattern))
    # UserAdmin guards its password page with admin_view itself (no marker to read): it is in the sample.
    assert unguarded == {"login", "auth_user_password_change"}


def _walk(patterns):
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            yield from _walk(pattern.url_patterns)
        else:
            yield pattern


@pytest.mark.django_db
@pytest.mark.parametrize("name", sorted(EXPECTATIONS))
def test_each_role_gets_the_expected_status_and_refused_requests_write_nothing(world, name):
    row = EXPECTATIONS[name]
    url = reverse(name, kwargs=KWARGS[KWARG_NAMES.get(name, row.kwargs)](world))
    got, wrote = {}, []
    for method in METHODS:
        for role in row.expected(method):
            before = counts()
            got[(method, role)] = status_of(request_as(world, role, method, url))
            if got[(method, role)] in REFUSED and counts() != before:
                wrote.append((method, role))
    expected = {(method, role): status for method in METHODS for role, status in row.expected(method).items()}
    actual = {m: " ".join(got[(m, role)] for role in ROLES) for m in METHODS}
    assert got == expected, f'actual: "{name}": Row({row.kwargs!r}, get="{actual["get"]}", post="{actual["post"]}"),'
    assert wrote == []
