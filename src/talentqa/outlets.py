"""Which outlets a question names: read by retrieval (their articles first) and by the readers (the
outlet shown above each passage only when the question names one)."""

from __future__ import annotations

import re
from collections.abc import Iterable

# "The Independent - Sports", "Reuters | Business": the outlet's own name comes before the section.
_OUTLET_SECTION = re.compile(r"\s+[-|\u2013\u2014]\s+")


def named_outlets(question: str, outlets: Iterable[str | None]) -> set[str]:
    """Those of `outlets` that the question names ("reported by TechCrunch"), as written (case and all),
    each by its name before any section suffix ("The Independent - Sports" is named by "The
    Independent")."""
    named: set[str] = set()
    for outlet in {o for o in outlets if o}:
        name = _OUTLET_SECTION.split(outlet, maxsplit=1)[0].strip()
        if len(name) >= 2 and re.search(rf"(?<!\w){re.escape(name)}(?!\w)", question):
            named.add(outlet)
    return named
