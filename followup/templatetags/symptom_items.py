from django import template

from ..messaging.suggested_scores import ITEMS

register = template.Library()


@register.simple_tag
def suggested_items():
    """The ESAS-r items a nurse may choose for a suggested score (not "other problem")."""
    return ITEMS
