"""Exports that open in Excel: a cell must never become a formula there."""

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_safe(value):
    """Text that Excel or WPS would take as a formula gets a leading apostrophe; anything else as is.

    Imported cells keep what was typed (a buyer named "=HYPERLINK(...)" stays that in the
    database); only exports are escaped (OWASP's advice against CSV injection).
    """
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value
