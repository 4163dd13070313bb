"""`manage.py import_workbook PATH` (an xlsx workbook) or `--sheet NAME PATH.csv` (one sheet)."""

from pathlib import Path

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files import File
from django.core.management.base import BaseCommand, CommandError
from django.utils import translation
from django.utils.translation import gettext as _

from inquiries.importing.parsers import SHEETS
from inquiries.models import ColumnMapping, ImportJob
from inquiries.services import import_job_create, workbook_import

SHOWN_REJECTIONS = 100


class Command(BaseCommand):
    help = (
        "Import a company's history: an .xlsx workbook with the sheets team, accounts, inquiries, "
        "rfq_quotes and reply_rates, or one of them as a .csv file with --sheet, or an export of Alibaba's "
        "back office (.xls or .xlsx) read with a saved column mapping (--mapping). See docs/import.md."
    )

    def add_arguments(self, parser):
        parser.add_argument("path", help="the .xlsx workbook or .csv file")
        parser.add_argument(
            "--sheet",
            default="",
            help="the sheet a csv file holds: team, accounts, inquiries, rfq_quotes or reply_rates (or 团队, 账号, "
            "询盘, RFQ报价, 回复率); by default taken from the file's name",
        )
        parser.add_argument(
            "--mapping",
            default="",
            help="the name of a saved column mapping to read the file with (see /inquiries/imports/mappings/); "
            "the file's header row must be the one the mapping was made for",
        )
        parser.add_argument(
            "--language", choices=[code for code, _name in settings.LANGUAGES], default=settings.LANGUAGE_CODE
        )

    def handle(self, *args, **options):
        translation.activate(options["language"])
        path = Path(options["path"])
        if not path.is_file():
            raise CommandError(_("No such file: %(path)s") % {"path": path})
        mapping = None
        if options["mapping"]:
            mapping = ColumnMapping.objects.filter(name=options["mapping"]).first()
            if mapping is None:
                names = ", ".join(ColumnMapping.objects.values_list("name", flat=True)) or "—"
                raise CommandError(
                    _("No column mapping is named %(name)s. Saved mappings: %(names)s")
                    % {"name": options["mapping"], "names": names}
                )
        try:
            with path.open("rb") as f:
                job = import_job_create(
                    file=File(f, name=path.name),
                    original_name=path.name,
                    by=None,
                    sheet=options["sheet"],
                    origin=ImportJob.Origin.COMMAND,
                    mapping=mapping,
                )
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from None
        result = workbook_import(job_id=job.pk)
        job = result.job
        if job.status == ImportJob.Status.MAPPING:
            raise CommandError(
                job.error_text
                or _(
                    "The columns of this file are not known: map them once on %(url)s, then import it again "
                    "(or give --mapping NAME)."
                )
                % {"url": settings.SITE_URL + job.get_absolute_url()}
            )
        if job.status != ImportJob.Status.DONE:
            raise CommandError(job.error_text)
        self._print_summary(result)

    def _print_summary(self, result):
        job = result.job
        out = self.stdout
        out.write(_("Import #%(id)s of %(name)s: done.") % {"id": job.pk, "name": job.original_name})
        headings = [_("Sheet"), _("Created"), _("Updated"), _("Unchanged"), _("Rejected")]
        rows = [
            [f"{_(SHEETS[s.kind].label)} ({s.name})", s.created, s.updated, s.unchanged, s.rejected]
            for s in result.sheets
        ]
        widths = [max(len(str(r[i])) for r in [headings, *rows]) for i in range(len(headings))]
        for line in [headings, *rows]:
            out.write(
                "  ".join(
                    str(v).ljust(w) if i == 0 else str(v).rjust(w)
                    for i, (v, w) in enumerate(zip(line, widths, strict=True))
                )
            )
        for s in result.sheets:
            if s.unknown_columns:
                out.write(
                    _("Columns ignored in %(sheet)s: %(columns)s")
                    % {"sheet": s.name, "columns": ", ".join(s.unknown_columns)}
                )
        for reading in result.readings:
            # Times read in the company's zone are the rule; only the others are worth a line.
            for column, zone in (t for t in reading.time_columns if t[1] != settings.TIME_ZONE):
                out.write(
                    _("%(sheet)s: %(column)s read in %(zone)s")
                    % {"sheet": reading.kind, "column": column, "zone": zone}
                )
            if reading.skipped_rows:
                out.write(
                    _("%(sheet)s: totals or notes rows at the end left out: %(rows)s")
                    % {"sheet": reading.kind, "rows": ", ".join(map(str, reading.skipped_rows))}
                )
        if result.ignored_sheets:
            out.write(_("Sheets ignored: %(sheets)s") % {"sheets": ", ".join(result.ignored_sheets)})
        rejected = job.rejected_rows.order_by("id")
        total = rejected.count()
        if total:
            out.write(_("Rejected rows (nothing of them was stored):"))
            for problem in rejected[:SHOWN_REJECTIONS]:
                out.write(
                    "  "
                    + _("%(sheet)s, row %(row)s, column %(column)s: %(reason)s")
                    % {
                        "sheet": problem.sheet,
                        "row": problem.row_number,
                        "column": problem.column,
                        "reason": problem.reason,
                    }
                    + (f"  [{problem.value}]" if problem.value else "")
                )
            if total > SHOWN_REJECTIONS:
                out.write(
                    _("… and %(count)s more: see %(url)s")
                    % {"count": total - SHOWN_REJECTIONS, "url": settings.SITE_URL + job.get_absolute_url()}
                )
