"""The workbook importer against the plain-SQL yardstick, side by side in one run (issue 15).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/ih_imp .venv/bin/python bench/import_bench.py --pairs 3

The data: a company's ledger, 100,000 csv rows (--rows) with history (80% allocated, 60% replied,
40% rated, 8% won), in random order of the time received, as an export leaves them. The team and
the accounts they name are imported first (not measured).

Three sides, each on emptied tables, taking turns to go first: InquiryHub imports the file (all
new), then the same file again (all unchanged); so does each yardstick.
- The plain-table yardstick (the one issue 15 names): COPY of the csv into a temporary table,
  then one INSERT … ON CONFLICT DO UPDATE … WHERE changed into a plainly indexed table of the
  same columns (primary key, the unique (account, inquiry number), the time received).
- The same-work yardstick (bench/import_samework.py): the import's own work in hand-written SQL,
  every row checked, then the same rows into the product's own tables, indexes and foreign keys.
The rows each side wrote are printed, then the medians and InquiryHub's ratio to each.
Each measured run is a process of its own, so that its peak memory is its own.
--xlsx-rows N adds --xlsx-pairs pairs (default 2) of one import of N rows as xlsx and one of the
same rows as csv, interleaved on emptied tables, with the ratio xlsx/csv and each side's peak RSS
(--pairs 0 runs only the extra measurements); --million one import of 1,000,000 csv rows (with
its peak RSS) and both yardsticks.
The database is a fresh one named after DATABASE_URL's with a `bench_` prefix, dropped at the end.
Floor (issue 15): InquiryHub ≤ 3× the yardstick (measured against the same-work one, see
docs/decisions.md "Set-based import"); goal ≤ 2.5× (new) and ≤ 2× (unchanged).
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import json
import os
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

SALESPEOPLE = [f"sales{i:02d}" for i in range(1, 13)]
MAIN_ACCOUNTS = ["cnled", "cnlight", "cnlamp", "cnsolar"]
SUB_ACCOUNTS = [f"{main}-{n}" for main in MAIN_ACCOUNTS for n in (1, 2)]
COUNTRIES = [
    "US",
    "美国",
    "Germany",
    "德国",
    "GB",
    "英国",
    "沙特",
    "AE",
    "India",
    "巴西",
    "Nigeria",
    "越南",
    "FR",
    "澳大利亚",
]
PRODUCTS = [
    "LED panel light 600x600",
    "Solar street light 100W",
    "LED strip 5050",
    "High bay light 200W",
    "Bulb E27 9W",
]
HEADER = [
    "询盘编号", "账号", "询盘时间", "来源", "买家姓名", "买家公司", "买家邮箱", "国家", "产品", "数量", "主题", "内容",
    "业务员", "分配时间", "首次回复时间", "质量", "无效原因", "成交时间", "成交金额", "信保",
]  # fmt: skip


def inquiry_rows(count: int, *, prefix: str, seed: int = 42):
    """Realistic rows: 80% allocated, 60% replied, 40% rated (a quarter of those invalid), 8% won."""
    rng = random.Random(seed)
    start = dt.datetime(2023, 1, 1, 8, 0)
    accounts = MAIN_ACCOUNTS + SUB_ACCOUNTS
    for i in range(count):
        received = start + dt.timedelta(minutes=rng.randint(0, 60 * 24 * 700))
        assigned = rng.random() < 0.8
        replied = assigned and rng.random() < 0.75
        rated = rng.random() < 0.4
        invalid = rated and rng.random() < 0.25
        won = assigned and not invalid and rng.random() < 0.1
        product = rng.choice(PRODUCTS)
        yield [
            f"{prefix}{i:07d}",
            accounts[i % len(accounts)],
            received,
            rng.choice(["询盘", "询盘", "询盘", "TM咨询", "RFQ"]),
            f"Buyer {i}",
            f"Trading Company {i % 5000} LLC",
            f"buyer{i}@example.com",
            rng.choice(COUNTRIES),
            product,
            f"{rng.choice([100, 500, 1000, 5000])} pcs",
            f"Inquiry about {product}",
            "Hello, please send your best price, MOQ and delivery time for " + product + ". " * 3,
            rng.choice(SALESPEOPLE) if assigned else "",
            received + dt.timedelta(minutes=rng.randint(5, 600)) if assigned else "",
            received + dt.timedelta(minutes=rng.randint(700, 3000)) if replied else "",
            ("无效" if invalid else "有效") if rated else "",
            rng.choice(["垃圾询盘", "无具体需求", "客户类型不符", "重复"]) if invalid else "",
            received + dt.timedelta(days=rng.randint(5, 60)) if won else "",
            f"{rng.randint(500, 50000)}.{rng.randint(0, 99):02d}" if won else "",
            rng.choice(["是", "否"]) if won else "",
        ]


def _cell(value):
    return value.strftime("%Y-%m-%d %H:%M") if isinstance(value, dt.datetime) else value


def write_csv(path: Path, count: int, prefix: str, seed: int = 42) -> None:
    with path.open("w", encoding="utf-8-sig", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(HEADER)
        for row in inquiry_rows(count, prefix=prefix, seed=seed):
            writer.writerow([_cell(v) for v in row])


PLAIN_COLUMNS = 12  # inquiry_id … message: what an Alibaba inquiry export holds


def write_plain_csv(path: Path, count: int, prefix: str) -> None:
    with path.open("w", encoding="utf-8-sig", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(HEADER[:PLAIN_COLUMNS])
        for row in inquiry_rows(count, prefix=prefix, seed=3):
            writer.writerow([_cell(v) for v in row[:PLAIN_COLUMNS]])


XLSX_SEED = 7


def write_xlsx(path: Path, count: int, prefix: str) -> None:
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell

    book = Workbook(write_only=True)
    sheet = book.create_sheet("询盘")
    sheet.append(HEADER)
    for row in inquiry_rows(count, prefix=prefix, seed=XLSX_SEED):
        cells = []
        for value in row:
            cell = WriteOnlyCell(sheet, value=value)
            if isinstance(value, dt.datetime):
                cell.number_format = "yyyy-mm-dd hh:mm"  # real Excel date cells
            cells.append(cell)
        sheet.append(cells)
    book.save(path)


def write_setup(folder: Path) -> tuple[Path, Path]:
    team = folder / "team.csv"
    with team.open("w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["用户名", "姓名", "角色", "RFQ配额"])
        for name in SALESPEOPLE:
            writer.writerow([name, f"业务{name[-2:]}", "业务员", 30])
        writer.writerow(["ops01", "运营一", "运营", ""])
    accounts = folder / "accounts.csv"
    with accounts.open("w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["账号", "名称", "类型", "主账号", "负责人"])
        for i, main in enumerate(MAIN_ACCOUNTS):
            writer.writerow([main, f"店铺{main}", "主账号", "", SALESPEOPLE[i]])
        for i, sub in enumerate(SUB_ACCOUNTS):
            writer.writerow([sub, f"子账号{sub}", "子账号", sub.split("-")[0], SALESPEOPLE[4 + i]])
    return team, accounts


# ---------------------------------------------------------------------------------------------
# One measured import, in a process of its own


def measured(work) -> None:
    """Run `work()` (it returns status, rows, …) and print it with the wall and CPU time it took, the
    PostgreSQL backend's CPU time and this process's peak memory, as one JSON line."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        backend = cursor.fetchone()[0]
    backend_before = backend_cpu(backend)
    cpu_before = time.process_time()
    started = time.perf_counter()
    figures = work()
    wall = time.perf_counter() - started
    cpu = time.process_time() - cpu_before
    db_cpu = backend_cpu(backend) - backend_before if backend_before is not None else None
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({**figures, "wall": wall, "cpu": cpu, "db_cpu": db_cpu, "load": os.getloadavg()[0],
                      "rss_mb": rss_mb}))  # fmt: skip


def child(path: str, sheet: str, *, openpyxl: bool = False) -> None:
    import django

    django.setup()
    if openpyxl:  # the reader as it was before calamine: every workbook through openpyxl (the "before" side)
        from inquiries.importing import xlsx

        xlsx._fast_tables = lambda *args: None
    from django.core.files import File

    from inquiries.models import ImportJob
    from inquiries.services import import_job_create, workbook_import

    def work() -> dict:
        with open(path, "rb") as f:
            job = import_job_create(
                file=File(f, name=Path(path).name),
                original_name=Path(path).name,
                by=None,
                sheet=sheet,
                origin=ImportJob.Origin.COMMAND,
            )
        result = workbook_import(job_id=job.pk)
        return {
            "status": result.job.status,
            "error": result.job.error_text,
            "rows": result.job.done_rows,
            "sheets": {s.kind: [s.created, s.updated, s.unchanged, s.rejected] for s in result.sheets},
        }

    measured(work)


YARD_COLUMNS = [
    ("external_id", "text"), ("account", "text"), ("received_at", "timestamptz"), ("source", "text"),
    ("buyer_name", "text"), ("buyer_company", "text"), ("buyer_email", "text"), ("country", "text"),
    ("product", "text"), ("quantity", "text"), ("subject", "text"), ("message", "text"),
    ("assigned_to", "text"), ("assigned_at", "timestamptz"), ("first_reply_at", "timestamptz"),
    ("quality", "text"), ("invalid_reason", "text"), ("won_at", "timestamptz"), ("amount_usd", "numeric(14, 2)"),
    ("trade_assurance", "text"),
]  # fmt: skip


def yardstick_table_sql() -> list[str]:
    columns = ", ".join(f"{name} {kind}" for name, kind in YARD_COLUMNS)
    return [
        f"CREATE TABLE IF NOT EXISTS yard_inquiry (id bigserial PRIMARY KEY, {columns}, UNIQUE (account, external_id))",
        "CREATE INDEX IF NOT EXISTS yard_inquiry_received ON yard_inquiry (received_at)",
    ]


def yardstick_child(path: str) -> None:
    """The plain-SQL yardstick: COPY the csv into a temporary table, upsert it in one statement."""
    import django

    django.setup()
    from django.db import connection, transaction

    names = [name for name, _kind in YARD_COLUMNS]
    casts = ", ".join(f"NULLIF({name}, '')::{kind}" for name, kind in YARD_COLUMNS)
    changed = " OR ".join(f"y.{n} IS DISTINCT FROM EXCLUDED.{n}" for n in names[2:])

    def work() -> dict:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("SET LOCAL TIME ZONE 'Asia/Shanghai'")
            cursor.execute(f"CREATE TEMP TABLE yard_stage ({', '.join(f'{n} text' for n in names)}) ON COMMIT DROP")
            with open(path, encoding="utf-8-sig") as f:
                cursor.copy_expert("COPY yard_stage FROM STDIN WITH (FORMAT csv, HEADER true)", f)
            cursor.execute(
                f"INSERT INTO yard_inquiry AS y ({', '.join(names)}) SELECT {casts} FROM yard_stage "
                f"ON CONFLICT (account, external_id) DO UPDATE SET "
                + ", ".join(f"{n} = EXCLUDED.{n}" for n in names[2:])
                + f" WHERE {changed}"
            )
            return {"status": "done", "rows": cursor.rowcount}

    measured(work)


def samework_child(path: str) -> None:
    """The second yardstick: the import's own writes in hand-written SQL (bench/import_samework.py)."""
    import django

    django.setup()
    import import_samework
    from django.db import connection, transaction

    from accounts.models import CompanySettings

    hours = CompanySettings.load().reply_deadline_hours

    def work() -> dict:
        with transaction.atomic(), connection.cursor() as cursor:
            return {"status": "done", "rows": import_samework.run(cursor, path, reply_deadline_hours=hours)}

    measured(work)


def backend_cpu(pid: int) -> float | None:
    """CPU seconds (user + system) the PostgreSQL backend serving us has used, or None if unreadable."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def run_child(
    path: Path, sheet: str, env: dict, *, yardstick: bool = False, samework: bool = False, openpyxl: bool = False
) -> dict:
    mode = "--samework" if samework else "--yardstick" if yardstick else "--child"
    proc = subprocess.run(
        [sys.executable, __file__, mode, str(path), "--sheet", sheet] + (["--openpyxl"] if openpyxl else []),
        env=env,
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=False,
    )
    if proc.returncode != 0:
        sys.exit(f"benchmark child failed:\n{proc.stderr[-3000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


# ---------------------------------------------------------------------------------------------


def machine() -> str:
    import platform

    mem_gb = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 1024**3
    return f"{platform.node()}: {os.cpu_count()} CPUs (nproc), {mem_gb:.1f} GB RAM, Python {platform.python_version()}"


TRUNCATE = (
    "TRUNCATE inquiries_inquiry, inquiries_allocation, inquiries_followup, inquiries_qualityverdict, "
    "inquiries_order, inquiries_buyer, inquiries_buyerkey, inquiries_importjob, inquiries_importrejectedrow, "
    "accounts_auditevent, accounts_notification, yard_inquiry CASCADE"
)


COUNTED = ("inquiries_inquiry", "inquiries_allocation", "inquiries_followup", "inquiries_qualityverdict",
           "inquiries_order", "inquiries_buyer", "inquiries_buyerkey", "accounts_auditevent")  # fmt: skip


def table_counts(connection) -> dict[str, int]:
    """Rows in each table the import writes (to show that both sides wrote the same)."""
    with connection.cursor() as cursor:
        cursor.execute(" UNION ALL ".join(f"SELECT '{t}', count(*) FROM {t}" for t in COUNTED))
        return {name.split("_", 1)[1]: count for name, count in cursor.fetchall()}


def xlsx_against_csv(folder: Path, rows: int, pairs: int, connection, measure, openpyxl: bool) -> None:
    """The same rows as xlsx and as csv, each imported on emptied tables, interleaved; medians and ratio.

    With `openpyxl`, each pair also imports the xlsx through openpyxl alone, as the reader did before calamine.
    """
    started = time.perf_counter()
    xlsx_path, same_csv = folder / "inquiries.xlsx", folder / "same_rows.csv"
    write_xlsx(xlsx_path, rows, "X")
    write_csv(same_csv, rows, "X", seed=XLSX_SEED)
    print(f"generated the same {rows:,} rows as xlsx ({xlsx_path.stat().st_size / 1e6:.1f} MB) and csv "
          f"({same_csv.stat().st_size / 1e6:.1f} MB) in {time.perf_counter() - started:.1f} s")  # fmt: skip
    sides = [("xlsx", xlsx_path, ""), ("csv", same_csv, "inquiries")]
    sides += [("xlsx by openpyxl", xlsx_path, "")] if openpyxl else []
    walls: dict[str, list[float]] = {side: [] for side, _path, _sheet in sides}
    cpus: dict[str, list[float]] = {side: [] for side, _path, _sheet in sides}
    rss: dict[str, list[float]] = {side: [] for side, _path, _sheet in sides}
    for pair in range(pairs):
        for side, path, sheet in sides if pair % 2 == 0 else sides[::-1]:
            with connection.cursor() as cursor:
                cursor.execute(TRUNCATE)
                cursor.execute("VACUUM ANALYZE")
            figures = measure(f"same rows {side}", f"{pair + 1}. {side}, {rows:,} rows, all new", path=path,
                              sheet=sheet, openpyxl=side == "xlsx by openpyxl")  # fmt: skip
            walls[side].append(figures["wall"])
            cpus[side].append(figures["cpu"] + (figures["db_cpu"] or 0.0))
            rss[side].append(figures["rss_mb"])
    xlsx_wall, csv_wall = statistics.median(walls["xlsx"]), statistics.median(walls["csv"])
    xlsx_cpu, csv_cpu = statistics.median(cpus["xlsx"]), statistics.median(cpus["csv"])
    print(f"{rows:,} rows, xlsx against csv of the same rows (medians of {pairs}): wall xlsx {xlsx_wall:.1f} s, "
          f"csv {csv_wall:.1f} s, ratio {xlsx_wall / csv_wall:.2f}x (goal <= 2x); CPU (Python + PostgreSQL) "
          f"{xlsx_cpu:.1f} s against {csv_cpu:.1f} s, ratio {xlsx_cpu / csv_cpu:.2f}x; peak RSS xlsx "
          f"{max(rss['xlsx']):.0f} MB, csv {max(rss['csv']):.0f} MB")  # fmt: skip
    if openpyxl:
        side = "xlsx by openpyxl"
        before, before_cpu = statistics.median(walls[side]), statistics.median(cpus[side])
        print(
            f"the xlsx through openpyxl alone (before): wall {before:.1f} s, ratio to csv {before / csv_wall:.2f}x; "
            f"CPU {before_cpu:.1f} s, ratio {before_cpu / csv_cpu:.2f}x; peak RSS {max(rss[side]):.0f} MB"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=100_000, help="csv inquiry rows (default 100,000)")
    parser.add_argument("--pairs", type=int, default=3, help="interleaved pairs (default 3)")
    parser.add_argument("--xlsx-rows", type=int, default=0, help="xlsx against csv, this many rows (default none)")
    parser.add_argument("--xlsx-pairs", type=int, default=2, help="interleaved xlsx/csv pairs (default 2)")
    parser.add_argument("--xlsx-openpyxl", action="store_true", help="each pair also imports the xlsx through openpyxl")
    parser.add_argument("--openpyxl", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--million", action="store_true", help="one import of 1,000,000 csv rows and its yardstick")
    parser.add_argument("--keep", action="store_true", help="keep the bench database")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--yardstick", help=argparse.SUPPRESS)
    parser.add_argument("--samework", help=argparse.SUPPRESS)
    parser.add_argument("--sheet", default="", help=argparse.SUPPRESS)
    args = parser.parse_args()

    # Production settings: DEBUG off (DEBUG keeps every SQL statement in memory).
    os.environ["DJANGO_DEBUG"] = "0"
    os.environ.setdefault("DJANGO_SECRET_KEY", "benchmark-only-secret-key-not-for-production")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "inquiryhub.settings")
    if args.child:
        child(args.child, args.sheet, openpyxl=args.openpyxl)
        return
    if args.yardstick:
        yardstick_child(args.yardstick)
        return
    if args.samework:
        samework_child(args.samework)
        return

    import django

    django.setup()
    from django.conf import settings
    from django.db import connection

    if connection.vendor != "postgresql":
        sys.exit("Run the benchmark against PostgreSQL: set DATABASE_URL=postgres://...")
    connection.settings_dict["TEST"]["NAME"] = "bench_" + connection.settings_dict["NAME"]
    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        pg_version = cursor.fetchone()[0]
    bench_db = connection.creation.create_test_db(verbosity=0, autoclobber=True, keepdb=False)
    with connection.cursor() as cursor:
        for statement in yardstick_table_sql():
            cursor.execute(statement)
    env = dict(os.environ)
    s = settings.DATABASES["default"]
    env["DATABASE_URL"] = f"postgres://{s['USER']}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{bench_db}"
    if s.get("PASSWORD"):
        env["PGPASSWORD"] = s["PASSWORD"]

    def line(label: str, figures: dict) -> str:
        db_cpu = figures["db_cpu"] or 0.0
        sheets = figures.get("sheets", {}).get("inquiries")
        return (
            f"{label:<34} {figures['rows']:>9,} {figures['wall']:>8.1f} {figures['cpu']:>9.1f} {db_cpu:>9.1f} "
            f"{figures['rss_mb']:>12.0f} {figures['load']:>5.1f}  {'/'.join(map(str, sheets)) if sheets else ''}"
        )

    try:
        with tempfile.TemporaryDirectory() as tmp:
            folder = Path(tmp)
            env["MEDIA_ROOT"] = str(folder / "media")
            print(f"machine: {machine()}, PostgreSQL {pg_version}")
            print(f"command: {' '.join(sys.argv)}")
            started = time.perf_counter()
            team, accounts = write_setup(folder)
            csv_path = folder / "inquiries.csv"
            write_csv(csv_path, args.rows, "C")
            print(f"generated {args.rows:,} csv rows ({csv_path.stat().st_size / 1e6:.1f} MB) "
                  f"in {time.perf_counter() - started:.1f} s")  # fmt: skip
            for path, sheet in ((team, "team"), (accounts, "accounts")):
                run_child(path, sheet, env)
            print(
                f"{'run':<34} {'rows':>9} {'wall s':>8} {'py CPU s':>9} {'pg CPU s':>9} {'peak RSS MB':>12} "
                f"{'load':>5}  created/updated/unchanged/rejected"
            )
            walls: dict[str, list[float]] = {}
            written: dict[str, dict[str, int]] = {}
            cpus: dict[str, list[float]] = {}  # Python + PostgreSQL CPU: the figure load does not inflate

            def measure(
                key: str,
                label: str,
                *,
                side: str = "inquiryhub",
                path: Path = csv_path,
                sheet: str = "inquiries",
                openpyxl: bool = False,
            ) -> dict:
                figures = run_child(path, sheet, env, yardstick=side == "yardstick", samework=side == "same work",
                                    openpyxl=openpyxl)  # fmt: skip
                if figures["status"] != "done":
                    sys.exit(f"{label}: import {figures['status']}: {figures['error']}")
                walls.setdefault(key, []).append(figures["wall"])
                cpus.setdefault(key, []).append(figures["cpu"] + (figures["db_cpu"] or 0.0))
                print(line(label, figures), flush=True)
                return figures

            sides = ["inquiryhub", "same work", "yardstick"]
            for pair in range(args.pairs):
                for side in sides[pair % 3 :] + sides[: pair % 3]:  # each side first in turn
                    with connection.cursor() as cursor:
                        cursor.execute(TRUNCATE)
                        cursor.execute("VACUUM ANALYZE")
                    for what in ("all new", "same file again"):
                        measure(f"{side} {what}", f"{pair + 1}. {side}, {what}", side=side)
                        if what == "all new" and side != "yardstick" and pair == 0:
                            written[side] = table_counts(connection)
            if args.pairs:
                print()
                print("rows written, all new:", "; ".join(f"{side}: {counts}" for side, counts in written.items()))
                for what in ("all new", "same file again"):
                    ours, ours_cpu = (statistics.median(d[f"inquiryhub {what}"]) for d in (walls, cpus))
                    for side in ("yardstick", "same work"):
                        theirs, theirs_cpu = (statistics.median(d[f"{side} {what}"]) for d in (walls, cpus))
                        name = "plain-table" if side == "yardstick" else "same-work"
                        print(f"{args.rows:,} rows, {what} (medians of {args.pairs}), against the {name} yardstick: "
                              f"wall InquiryHub {ours:.1f} s, yardstick {theirs:.1f} s, ratio {ours / theirs:.2f}x; "
                              f"CPU (Python + PostgreSQL) {ours_cpu:.1f} s against {theirs_cpu:.1f} s, "
                              f"ratio {ours_cpu / theirs_cpu:.2f}x")  # fmt: skip
            if args.xlsx_rows:
                xlsx_against_csv(folder, args.xlsx_rows, args.xlsx_pairs, connection, measure, args.xlsx_openpyxl)
            if args.million:
                big = folder / "million.csv"
                write_csv(big, 1_000_000, "M")
                with connection.cursor() as cursor:
                    cursor.execute(TRUNCATE)
                    cursor.execute("VACUUM ANALYZE")
                measure("million", "inquiryhub, 1,000,000 rows, all new", path=big)
                measure("million yard", "yardstick, 1,000,000 rows, all new", side="yardstick", path=big)
                with connection.cursor() as cursor:
                    cursor.execute(TRUNCATE)
                    cursor.execute("VACUUM ANALYZE")
                measure("million same", "same work, 1,000,000 rows, all new", side="same work", path=big)
                ours = walls["million"][0]
                print(f"1,000,000 rows: ratio {ours / walls['million yard'][0]:.2f}x to the plain-table yardstick, "
                      f"{ours / walls['million same'][0]:.2f}x to the same-work one")  # fmt: skip
    finally:
        if not args.keep:
            connection.creation.destroy_test_db(bench_db, verbosity=0)


if __name__ == "__main__":
    main()
