"""python manage.py attribution_report --month YYYY-MM [...] --format json|text (ATTRIBUTION.md §7)."""

import json
import sys

from django.core.management.base import BaseCommand, CommandError

from reports.forms import ReportParamsForm
from reports.periods import ReportParamError
from reports.selectors import report_payload
from reports.services import monthly_report_get
from reports.text import render_text


class Command(BaseCommand):
    help = (
        "Print the monthly attribution report: who gets the credit or the blame for the change in "
        "orders, operations or sales (ATTRIBUTION.md)."
    )

    def create_parser(self, prog_name, subcommand, **kwargs):
        parser = super().create_parser(prog_name, subcommand, **kwargs)

        def one_line_error(message):
            # argparse would print its usage too; the contract wants one clear line.
            if parser.called_from_command_line:
                self.stderr.write(f"{subcommand}: {message} (see --help)")
                sys.exit(2)
            raise CommandError(message)

        parser.error = one_line_error
        return parser

    def add_arguments(self, parser):
        parser.add_argument("--month", required=True, help="the month M, YYYY-MM")
        parser.add_argument("--baseline", help="the baseline month B, YYYY-MM (default: the month before M)")
        parser.add_argument("--as-of", dest="as_of", help="T, ISO-8601 (default: now; without an offset, company time)")
        parser.add_argument("--window-days", dest="window_days", help="w, days (default: the company setting)")
        scope = parser.add_mutually_exclusive_group()
        scope.add_argument("--account", help="one account's report, by its code")
        scope.add_argument("--salesperson", help="one salesperson's report, by username")
        parser.add_argument("--format", choices=["json", "text"], default="json", help="json (default) or text")
        parser.add_argument(
            "--recompute", action="store_true", help="recompute a final report instead of printing the stored one"
        )

    def handle(self, *args, **options):
        fields = ("month", "baseline", "as_of", "window_days", "account", "salesperson")
        form = ReportParamsForm(data={name: options[name] for name in fields if options[name] is not None})
        if not form.is_valid():
            raise CommandError(form.first_error())
        params = form.cleaned_data
        try:
            report = monthly_report_get(
                month=params["month"],
                baseline=params["baseline"],
                scope=params["scope"],
                window_days=params["window_days"],
                as_of=params["as_of"],
                recompute=options["recompute"],
                store=options["recompute"],
            )
        except ReportParamError as exc:
            raise CommandError(str(exc)) from None
        payload = report_payload(report)
        if options["format"] == "json":
            self.stdout.write(json.dumps(payload, ensure_ascii=False, indent=2))
        else:
            self.stdout.write(render_text(payload))
