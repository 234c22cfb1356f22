from django import template

from safetynet.verification.presentation import money as _money

register = template.Library()


@register.filter
def money(value) -> str:
    return _money(value)


@register.filter
def lookup(mapping, key):
    return mapping.get(key, key) if hasattr(mapping, "get") else key
