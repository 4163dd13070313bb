"""Exports that open in Excel: a cell must never become a formula there."""

# Spreadsheet programs run a cell that starts with one of these as a formula.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def looks_like_formula(value) -> bool:
    """True for text that Excel or WPS would run as a formula."""
    return isinstance(value, str) and value.startswith(FORMULA_STARTS)


def spreadsheet_safe(value):
    """Text that Excel or WPS would take as a formula gets a leading apostrophe; anything else as is.

    Imported cells keep what was typed (a buyer named "=HYPERLINK(...)" stays that in the
    database); only exports are escaped (OWASP's advice against CSV injection).
    """
    return "'" + value if looks_like_formula(value) else value
