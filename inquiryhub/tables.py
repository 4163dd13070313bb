"""The base every table in InquiryHub stands on: one look, one pagination, one empty state."""

import html
import inspect
from operator import attrgetter

import django_tables2 as tables
from django.core.exceptions import FieldDoesNotExist
from django.core.paginator import Paginator
from django.http import Http404
from django.utils import dateformat, formats, timezone
from django.utils.html import conditional_escape
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy as _

# ?per_page= is the reader's to choose, up to this: a page of 100,000 rows would take the
# server seconds and megabytes to render (issue 13). Every table's pagination goes through here.
MAX_PER_PAGE = 200
# Beyond this, ?page= is not a page anyone reached by clicking: an offset of 10^22 rows is out of
# the database's range (bigint), so the answer is "no such page" before any query.
MAX_PAGE = 1_000_000


class DateTimeColumn(tables.DateTimeColumn):
    """django-tables2's DateTimeColumn, writing the same text as its template
    `{{ value|date:format|default:default }}` (local time, Django's date format, the column's
    default for no date) without compiling that template for every cell."""

    def __init__(self, format, **kwargs):
        super().__init__(format=format, **kwargs)
        self.format = format

    def render(self, value, bound_column):
        if value in (None, ""):
            return bound_column.default
        try:
            return dateformat.format(timezone.template_localtime(value), self.format) or bound_column.default
        except AttributeError:  # not a date: the date filter writes nothing
            return bound_column.default


class BaseTable(tables.Table):
    class Meta:
        attrs = {"class": "table"}
        empty_text = _("Nothing here yet.")
        per_page = 50

    def paginate(self, paginator_class=Paginator, per_page=None, page=1, *args, **kwargs):
        """Paginate with the page size capped at MAX_PER_PAGE; a page past MAX_PAGE is a 404."""
        per_page = min(max(per_page or self._meta.per_page, 1), MAX_PER_PAGE)
        if isinstance(page, int) and page > MAX_PAGE:
            raise Http404(_("No such page."))
        return super().paginate(paginator_class, per_page, page, *args, **kwargs)

    def body(self):
        """The page's rows as (row, its cells' HTML), for templates that write the cells themselves.

        The cells django-tables2's own table template writes (`<td {{ column.attrs.td.as_html }}>
        {{ cell }}</td>` for each of row.items), but each column's attributes, accessor, choice
        labels and render method are looked up once per page instead of once per cell, and the
        cells are joined here rather than by a template loop: both were most of a 50-row list's
        time (bench/RESULTS.md, "Operations' lists")."""
        writers = [
            (column.attrs["td"].as_html(), cell_writer(self, column), column.localize) for column in self.columns
        ]
        for row in self.paginated_rows:
            cells = "".join(f"<td {attrs}>{as_text(write(row), localize)}</td>" for attrs, write, localize in writers)
            yield row, mark_safe(cells)  # noqa: S308 - attributes from as_html, each cell escaped by as_text


def as_text(value, localize=None) -> str:
    """A cell as django-tables2's template writes it by the column's localize (None: `{{ cell }}`,
    True: `{{ cell|localize }}`, False: `{{ cell|unlocalize }}`): in local time, localized, escaped."""
    if type(value) is str:  # most cells: escaped as conditional_escape would, without its lazy wrapper
        return html.escape(value)
    if localize is None:  # the filters take the value as it is; a bare variable is shown in local time
        value = timezone.template_localtime(value)
    return conditional_escape(formats.localize(value, use_l10n=localize))


def cell_writer(table, bound_column):
    """A function of a row giving its cell in `bound_column`, as django-tables2's get_cell does:
    the value (a choice's label for a field with choices), the column's default when it is
    empty, else the table's render_<name> or the column's render with the arguments it names."""
    if bound_column.link:
        return lambda row: row.get_cell(bound_column.name)
    column, default, read = bound_column.column, bound_column.default, value_reader(table, bound_column)
    render, wanted, takes_all = bound_column.render, *render_arguments(bound_column.render)
    names = {"value", "record", "column", "bound_column", "bound_row", "table"}
    if not takes_all and not names.issuperset(wanted):
        return lambda row: None  # django-tables2 does not call a render asking for what it cannot have

    def write(row):
        value = read(row.record)
        if value in column.empty_values:
            return default
        given = {
            "value": value,
            "record": row.record,
            "column": column,
            "bound_column": bound_column,
            "bound_row": row,
            "table": table,
        }
        if takes_all:
            return render(**given)
        return render(**{name: given[name] for name in wanted})

    return write


def value_reader(table, bound_column):
    """A function of a record giving the column's value as django-tables2 reads it: for a field
    with choices its label in the active language (as get_FOO_display, labels translated once);
    a path of model fields read as attributes; anything else through the column's accessor."""
    accessor = tables.A(bound_column.accessor)
    fields = field_path(table.data.model, accessor.bits)
    if fields is None:
        return lambda record: resolve_quietly(accessor, record)
    path, field = ".".join(accessor.bits[:-1]), fields[-1]
    holder = attrgetter(path) if path else (lambda record: record)
    if field.choices:
        labels = {value: str(label) for value, label in field.flatchoices}

        def read_label(record):
            value = getattr(holder(record), field.attname)
            return labels.get(value, value)

        return quietly(read_label)
    return quietly(attrgetter(".".join(accessor.bits)))


def field_path(model, bits) -> list | None:
    """The model fields `bits` name (each but the last a foreign key), or None when they do not."""
    fields = []
    for bit in bits:
        try:
            field = model._meta.get_field(bit)
        except (AttributeError, FieldDoesNotExist):
            return None
        if not field.concrete or field.many_to_many:
            return None
        fields.append(field)
        model = field.related_model
    return fields if all(f.many_to_one for f in fields[:-1]) else None


def quietly(read):
    """`read`, giving None where a relation on the way is empty (django-tables2 shows the default)."""

    def read_quietly(record):
        try:
            return read(record)
        except AttributeError:
            return None

    return read_quietly


def resolve_quietly(accessor, record):
    try:
        return accessor.resolve(record)
    except Exception:  # noqa: BLE001 (django-tables2 shows the default for an unreadable value)
        return None


def render_arguments(render) -> tuple[tuple[str, ...], bool]:
    """The keyword arguments a render method names, and whether it takes **kwargs."""
    parameters = inspect.signature(render).parameters.values()
    wanted = tuple(p.name for p in parameters if p.kind not in (p.VAR_KEYWORD, p.VAR_POSITIONAL))
    return wanted, any(p.kind == p.VAR_KEYWORD for p in parameters)
