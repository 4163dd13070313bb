"""The report's PDF is set in the shipped Chinese font only, page numbers and charts included."""

import collections
import io

import pytest
from pypdf import PdfReader

from .test_exports import PDF_URL, may  # noqa: F401 - the fixture

# The shipped collection's own family names, for the charts, which name "Noto Sans CJK SC" first.
SHIPPED = ("InquiryHub-CJK", "Noto-Sans-CJK-SC")


@pytest.mark.django_db
def test_every_text_of_the_report_pdf_is_set_in_the_shipped_font(cast, client_for, may):  # noqa: F811
    response = client_for(cast["boss"]).get(PDF_URL)
    text_by_font = collections.defaultdict(str)

    def collect(text, cm, tm, font, size):
        if font and text.strip():
            text_by_font[str(font["/BaseFont"]).split("+", 1)[-1]] += text

    for page in PdfReader(io.BytesIO(response.content)).pages:
        page.extract_text(visitor_text=collect)
    assert "1 / " in "".join(text_by_font.values())  # the page numbers are there
    assert {name for name in text_by_font if not name.startswith(SHIPPED)} == set()
