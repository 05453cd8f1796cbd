from django import template

register = template.Library()


@register.filter
def percent(fraction):
    """0.0551 -> "5.5": one decimal, so a score near a low threshold does not read as equal to it."""
    return f"{float(fraction) * 100:.1f}"
