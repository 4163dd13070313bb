"""Path converters of the reports' URLs."""


class MonthConverter:
    """YYYY-MM in the path; a month like 2026-13 reaches the view, which answers why it is wrong."""

    regex = r"[0-9]{4}-[0-9]{2}"

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value) -> str:
        return value if isinstance(value, str) else f"{value.year:04d}-{value.month:02d}"
