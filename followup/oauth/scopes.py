"""SMART system scopes: `system/<Type or *>.<read|write>` (SMART 1) or `.<cruds letters>` (SMART 2).

`read` (or `r`/`s`) allows GET and search; `write` (or `c`/`u`/`d`) allows create, update and delete.
"""

import re
from dataclasses import dataclass

_SCOPE = re.compile(r"system/(?P<type>\*|[A-Z][A-Za-z]+)\.(?P<what>read|write|\*|c?r?u?d?s?)")


@dataclass(frozen=True)
class Grant:
    resource_type: str  # "*" for every type
    read: bool
    write: bool

    def __str__(self):
        return f"system/{self.resource_type}.{'*' if self.read and self.write else 'read' if self.read else 'write'}"


def parse(text):
    grants = []
    for word in text.split():
        match = _SCOPE.fullmatch(word)
        if not match or not match["what"]:
            raise ValueError(f"Unknown scope {word!r}: use system/<Type or *>.read, .write, or SMART 2 letters (.rs, .cud).")
        what = match["what"]
        if what in ("read", "write", "*"):
            read, write = what in ("read", "*"), what in ("write", "*")
        else:  # SMART 2 letters
            read, write = "r" in what or "s" in what, any(letter in what for letter in "cud")
        grants.append(Grant(match["type"], read, write))
    return grants


def allows(grants, resource_type, write):
    """Whether the grants cover this kind of access. `resource_type` None: the whole REST API (needs `*`)."""
    for grant in grants:
        if grant.resource_type in ("*", resource_type) and (grant.write if write else grant.read):
            return True
    return False


def narrow(requested, allowed):
    """The scopes to grant: those requested that the client is allowed (all allowed when none is asked)."""
    allowed_grants = parse(allowed)
    if not requested.strip():
        return allowed.split()
    granted = []
    for word, grant in zip(requested.split(), parse(requested)):
        permitted = any(a.resource_type in ("*", grant.resource_type) and (a.read or not grant.read) and (a.write or not grant.write)
                        for a in allowed_grants)
        if permitted:
            granted.append(word)
    return granted
