"""Screenshot every main page, as each role sees it, at desktop and phone width.

Usage (the dashboard must be running with the demo data, e.g. `make run`):
    .venv/bin/python scripts/screenshots.py [--base http://127.0.0.1:8000] [--out docs/screenshots]
Needs Debian's Chromium (/usr/bin/chromium). Look at the PNGs before calling a page done.
The README's three pictures are written under their own names too (README_SHOTS).
"""

import argparse
import re
from pathlib import Path

from playwright.sync_api import sync_playwright

PASSWORD = "inquiryhub-demo-2026"  # noqa: S105 - the documented demo password
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run", "--disable-quic"]  # fmt: skip
PAGES = {
    "boss": ["/", "/reports/", "/inquiries/"],
    "opsmgr": ["/", "/inquiries/queue/", "/inquiries/", "/inquiries/disputes/", "/inquiries/rules/",
               "/inquiries/imports/", "/inquiries/exports/", "/team/", "/team/accounts/", "/team/accounts/1/",
               "/team/settings/", "/reports/", "/inquiries/pool/", "/inquiries/pool/settings/", "/no-such-page/"],
    "ops": ["/", "/inquiries/queue/"],
    "chenjing": ["/inquiries/mine/", "/inquiries/rfq/", "/reports/me/", "/inquiries/queue/", "/inquiries/pool/",
                 "/inquiries/buyers/mine/"],
    "wangqiang": ["/inquiries/mine/", "/reports/me/"],
}  # fmt: skip
# (user, path, width) -> the name the README shows it under.
README_SHOTS = {
    ("boss", "/reports/", "desktop"): "monthly-report.png",
    ("opsmgr", "/inquiries/queue/", "desktop"): "queue.png",
    ("chenjing", "/inquiries/mine/", "phone"): "my-inquiries-phone.png",
}
WIDTHS = {"desktop": {"width": 1366, "height": 900}, "phone": {"width": 375, "height": 812}}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--base", default="http://127.0.0.1:8000")
    parser.add_argument("--out", default="docs/screenshots")
    args = parser.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path="/usr/bin/chromium", headless=True, args=ARGS)
        for user, paths in PAGES.items():
            for width_name, viewport in WIDTHS.items():
                context = browser.new_context(viewport=viewport, locale="zh-CN", base_url=args.base)
                page = context.new_page()
                page.goto("/accounts/login/")
                page.fill("#id_username", user)
                page.fill("#id_password", PASSWORD)
                with page.expect_navigation():
                    page.click(".login-box button[type=submit]")
                for path in paths:
                    response = page.goto(path)
                    name = re.sub(r"[^\w]+", "_", path).strip("_") or "home"
                    target = out / f"{user}-{name}-{width_name}.png"
                    page.screenshot(path=str(target), full_page=True)
                    print(response.status if response else "?", target)
                    if (user, path, width_name) in README_SHOTS:
                        page.screenshot(path=str(out / README_SHOTS[user, path, width_name]), full_page=False)
                    # The hand-over's confirmation page (not confirmed: the demo stays as it is).
                    if path == "/team/accounts/1/":
                        page.select_option("#id_hand-to", index=1)
                        with page.expect_navigation():
                            page.click("form[action$='/hand-over/'] button[type=submit]")
                        page.screenshot(path=str(out / f"{user}-hand_over_confirm-{width_name}.png"), full_page=True)
                    # Open the first inquiry of a list too, so the inquiry page is seen.
                    if path in ("/inquiries/", "/inquiries/mine/"):
                        link = page.locator("table a[href^='/inquiries/'], .inquiry-list a[href^='/inquiries/']").first
                        if link.count():
                            link.click()
                            page.wait_for_load_state()
                            page.screenshot(path=str(out / f"{user}-inquiry-{width_name}.png"), full_page=True)
                context.close()
        browser.close()


if __name__ == "__main__":
    main()
