"""Each sheet kind is imported only by the roles whose pages make the same writes (issue 13, item 1).

The check is in the importer, where rows are written: whoever calls the import service (the
upload page, the worker, a command run for someone), ops cannot create, rename or hand over
accounts by import when every /team/accounts/ page answers them 403.
"""

import pytest
from django.utils import translation

from accounts.models import Account, AccountHolding, AuditEvent, ReplyRateSnapshot, User
from inquiries.models import Inquiry, RfqQuote
from inquiries.tests.import_files import counts, problems, run_import, write_csv
from tests.factories import AccountFactory

pytestmark = pytest.mark.django_db

SHEETS = {
    # kind: (rows, the model the sheet writes, who may import it)
    "team": ([["username", "role"], ["newbie", "sales"]], User, {"ops_manager"}),
    "accounts": ([["code", "kind", "holder"], ["m9", "main", "sales_a"]], Account, {"ops_manager"}),
    "inquiries": (
        [["inquiry_id", "account", "received_at"], ["Z1", "cn1", "2024-03-05 10:00"]],
        Inquiry,
        {"ops_manager", "ops"},
    ),
    "rfq_quotes": (
        [["username", "quoted_at", "rfq_id", "account"], ["sales_a", "2024-03-06 09:00", "R1", "cn1"]],
        RfqQuote,
        {"ops_manager", "ops"},
    ),
    "reply_rates": (
        [["account", "date", "reply_rate"], ["cn1", "2024-03-31", "0.9"]],
        ReplyRateSnapshot,
        {"ops_manager", "ops"},
    ),
}
REFUSALS = {
    "team": "Only an operations manager can import the team sheet.",
    "accounts": "Only an operations manager can import the accounts sheet.",
}


@pytest.fixture(autouse=True)
def english_and_media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    with translation.override("en"):
        yield


@pytest.mark.parametrize("role", ["boss", "ops_manager", "ops", "sales_a"])
@pytest.mark.parametrize("kind", list(SHEETS))
def test_each_sheet_is_imported_only_by_the_roles_of_its_pages(tmp_path, cast, kind, role):
    AccountFactory(code="cn1")
    rows, model, allowed = SHEETS[kind]
    before = model.objects.count()
    result = run_import(write_csv(tmp_path / f"{kind}.csv", rows), by=cast[role])

    if role in allowed:
        assert counts(result) == {kind: (1, 0, 0, 0)}
        assert model.objects.count() == before + 1
    else:
        first_column = rows[0][0]
        refusal = REFUSALS.get(kind, "Only operations can import this sheet.")
        assert problems(result.job) == [(kind, 2, first_column, refusal)]
        assert counts(result) == {kind: (0, 0, 0, 1)}
        assert model.objects.count() == before
        assert not AuditEvent.objects.exclude(action__startswith="import.").exists()


def test_ops_cannot_hand_over_or_rename_an_account_by_import(tmp_path, cast):
    account = AccountFactory(code="cn1", name="Main store")
    rows = [["code", "name", "kind", "holder"], ["cn1", "Renamed", "main", "sales_b"]]
    path = write_csv(tmp_path / "accounts.csv", rows)
    run_import(path, by=cast["ops"])
    account.refresh_from_db()
    assert account.name == "Main store"
    assert not AccountHolding.objects.filter(account=account).exists()
    assert not AuditEvent.objects.filter(action__startswith="account.").exists()


def test_the_command_line_imports_every_sheet(tmp_path, cast):
    AccountFactory(code="cn1")
    for kind, (rows, _model, _allowed) in SHEETS.items():
        assert counts(run_import(write_csv(tmp_path / f"{kind}.csv", rows), by=None)) == {kind: (1, 0, 0, 0)}
