"""The shipped Chinese font: a PDF set with no font on the machine but it has no missing glyph."""

import html
import io
import subprocess
import sys
import textwrap
from pathlib import Path

import polib
import pytest
from django.conf import settings
from django.contrib.staticfiles import finders
from fontTools.ttLib import TTCollection
from pypdf import PdfReader

from inquiryhub import fonts
from inquiryhub.demo.plan import ACCOUNTS, COMPANY_NAME, TEAM

# WeasyPrint in a process whose fontconfig knows no font directory at all: only @font-face fonts exist.
RENDER = textwrap.dedent(
    """
    import sys, weasyprint
    from weasyprint.text.fonts import FontConfiguration
    from inquiryhub import fonts
    config = FontConfiguration()
    styles = [weasyprint.CSS(string=fonts.pdf_font_face_css(), font_config=config),
              weasyprint.CSS(filename=sys.argv[2], font_config=config)]
    html = open(sys.argv[1], encoding="utf-8").read()
    sys.stdout.buffer.write(weasyprint.HTML(string=html).write_pdf(stylesheets=styles, font_config=config))
    """
)


def _ui_text() -> str:
    """Every Chinese string of the UI and the demo's names: what a PDF is made of."""
    catalogue = polib.pofile(str(Path(settings.BASE_DIR) / "locale/zh_Hans/LC_MESSAGES/django.po"))
    strings = [entry.msgstr for entry in catalogue if entry.msgstr]
    strings += [COMPANY_NAME] + [m.display_name for m in TEAM] + [a.name for a in ACCOUNTS]
    return "\n".join(strings)


def _characters(text: str) -> set[str]:
    return {c for c in text if not c.isspace() and c.isprintable()}


def test_the_shipped_font_covers_every_character_of_the_ui_and_the_demo():
    cmap = TTCollection(str(fonts.FONT_FILE)).fonts[2].getBestCmap()  # face 2: Noto Sans CJK SC
    missing = sorted(c for c in _characters(_ui_text()) if ord(c) not in cmap)
    assert missing == []


def test_the_pdf_font_is_served_as_a_static_file_from_the_package():
    assert finders.find(fonts.STATIC_PATH) == str(fonts.FONT_FILE)
    assert Path(fonts.FONT_FILE).stat().st_size > 10_000_000
    assert f'url("../{fonts.STATIC_PATH}")' in (Path(settings.BASE_DIR) / "static/css/app.css").read_text()


@pytest.mark.slow
def test_a_pdf_set_with_only_the_shipped_font_has_every_glyph(tmp_path):
    text = _ui_text()
    page = tmp_path / "page.html"
    page.write_text(f'<html lang="zh-Hans"><body><p>{html.escape(text).replace(chr(10), "</p><p>")}</p></body></html>')
    no_fonts = tmp_path / "fonts.conf"
    no_fonts.write_text('<?xml version="1.0"?><fontconfig><cachedir>' + str(tmp_path) + "</cachedir></fontconfig>")
    stylesheet = finders.find("css/report-pdf.css")
    result = subprocess.run(
        [sys.executable, "-c", RENDER, str(page), stylesheet],
        capture_output=True,
        env={"FONTCONFIG_FILE": str(no_fonts), "PYTHONPATH": str(settings.BASE_DIR), "PATH": "/usr/bin:/bin"},
        cwd=settings.BASE_DIR,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stderr.decode()[-2000:]
    reader = PdfReader(io.BytesIO(result.stdout))
    embedded = {
        str(font.get_object()["/BaseFont"])
        for pdf_page in reader.pages
        for font in pdf_page["/Resources"]["/Font"].values()
    }
    assert embedded and all(name.endswith("+InquiryHub-CJK") for name in embedded), embedded
    extracted = "".join(pdf_page.extract_text() for pdf_page in reader.pages)
    assert _characters(text) <= _characters(extracted) | {"\u00a0"}
