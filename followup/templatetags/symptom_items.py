from django import template

from .. import esas_r
from ..messaging.suggested_scores import ITEMS

register = template.Library()


@register.simple_tag
def suggested_items():
    """The ESAS-r items a nurse may choose for a suggested score (not "other problem"), named in the
    reviewed wording of the page's language."""
    names = esas_r.item_names()
    return [(field, names[field]) for field, _label in ITEMS]
