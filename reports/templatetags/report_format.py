"""Template filters for the report's numbers (see reports.formatting)."""

from django import template

from reports import formatting

register = template.Library()


@register.filter
def signed(value, places=1):
    return formatting.signed(value, int(places))


@register.filter
def sign_class(value, places=1):
    return formatting.sign_class(value, int(places))


@register.filter
def percent(value):
    return formatting.percent(value)


@register.filter
def number(value, places=0):
    return formatting.number(value, int(places))


@register.filter
def hours(value):
    return formatting.hours(value)
