"""The Chinese font shipped with the project: Noto Sans CJK (SIL Open Font License), from a PyPI package.

The PDF is set in it whatever fonts the machine has, and the pages name it as their last CJK
font, so a browser without a Chinese system font downloads it from our own static files.
"""

from pathlib import Path

import noto_cjk_sans_otc
from django.contrib.staticfiles.finders import BaseFinder
from django.core.files.storage import FileSystemStorage

FAMILY = "InquiryHub CJK"
FONT_FILE = Path(str(noto_cjk_sans_otc.FONT_PATH))
# Where the pages' stylesheet finds it: static/css/app.css says url("../fonts/<file>").
STATIC_PATH = f"fonts/{FONT_FILE.name}"


def pdf_font_face_css() -> str:
    """The @font-face rule that gives WeasyPrint the shipped font under FAMILY."""
    return f'@font-face {{ font-family: "{FAMILY}"; src: url("{FONT_FILE.as_uri()}"); }}'


class FontFinder(BaseFinder):
    """Serves the installed package's font file as the static file STATIC_PATH (and collects it)."""

    def __init__(self, *args, **kwargs):
        self.storage = FileSystemStorage(location=FONT_FILE.parent)
        self.storage.prefix = "fonts"

    def check(self, **kwargs):
        return []

    def find(self, path, find_all=False, **kwargs):
        if path != STATIC_PATH:
            return [] if find_all else None
        return [str(FONT_FILE)] if find_all else str(FONT_FILE)

    def list(self, ignore_patterns):
        yield FONT_FILE.name, self.storage
