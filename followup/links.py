"""Links to objects' pages when one page shows dozens of them.

Django's `reverse` matches the URL patterns on every call (some 15 microseconds each here), and the
worklist's forty rows link to their patients a hundred times. `link` reverses each view once per
process, with a stand-in id, and then puts the row's id in its place. The script prefix and the
URL configuration in use are part of what is remembered, so a site served under a prefix, or a test
with its own URLs, gets its own links.
"""

import functools

from django.urls import get_script_prefix, get_urlconf, reverse

_STAND_IN = str(2**31 - 1)  # an id no row has (the largest a 32-bit key holds)


@functools.lru_cache(maxsize=64)
def _around_the_id(name, prefix, urlconf):
    before, _, after = reverse(name, args=[_STAND_IN], urlconf=urlconf).partition(_STAND_IN)
    return before, after


def link(name, pk):
    """`reverse(name, args=[pk])` for a view that takes one integer id."""
    before, after = _around_the_id(name, get_script_prefix(), get_urlconf())
    return f"{before}{int(pk)}{after}"
