"""Finding stored articles by the start of their id or title, without listing the store.

Autocomplete asks on every keystroke and a store may hold 150k articles, so listing every record per
lookup (one Chroma page per thousand) is out. Chroma cannot match a metadata prefix either (its range
operators compare numbers only, and `$regex` applies to the document text), so the catalog keeps two
sorted in-memory lists, (case-folded title, id) and (case-folded id, id), and answers a prefix with two
binary searches. It is rebuilt only when the store's revision token changes, which every write in this
process or another (ingest, remove, reindex, repair) bumps: one cheap metadata read per lookup.
"""

from __future__ import annotations

import bisect
import heapq
import threading
from collections.abc import Sequence
from typing import Protocol


class TitleSource(Protocol):
    """The part of `talentqa.store.Store` the catalog reads."""

    def revision(self) -> str: ...

    def titles(self) -> list[tuple[str, str]]: ...


def fold(text: str) -> str:
    """The form prefixes are compared in: case-folded, whitespace runs as one space, trimmed."""
    return " ".join(text.casefold().split())


def _prefix_range(keys: Sequence[tuple[str, object]], prefix: str) -> tuple[int, int]:
    """The slice of sorted `keys` whose first element starts with `prefix`."""
    lo = bisect.bisect_left(keys, (prefix,))
    # Every string starting with `prefix` sorts before `prefix` + the highest code point.
    hi = bisect.bisect_left(keys, (prefix + "\U0010ffff",), lo)
    return lo, hi


class DocumentCatalog:
    """Article ids by id or title prefix, as of the store's current revision."""

    def __init__(self, store: TitleSource) -> None:
        self._store = store
        self._lock = threading.Lock()
        self._revision: str | None = None
        # (folded title, (folded id, id)) and (folded id, id): the id pair is also the result order.
        self._by_title: list[tuple[str, tuple[str, str]]] = []
        self._by_id: list[tuple[str, str]] = []
        self.builds = 0  # how many times the lists were read from the store (tests count them)

    def invalidate(self) -> None:
        """Rebuild on the next lookup (after a write whose revision bump may not have landed)."""
        with self._lock:
            self._revision = None

    def find(self, prefix: str, limit: int) -> list[str]:
        """At most `limit` ids whose id or title starts with `prefix` (ignoring case), in id order
        (ignoring case).

        Costs O(log N + matching titles): the title matches are ranked by id with a bounded heap, so a
        one-letter prefix reads its share of titles, a longer one almost none.
        """
        if limit <= 0:
            return []
        by_title, by_id = self._current()
        key = fold(prefix)
        lo, hi = _prefix_range(by_id, key)
        from_ids = by_id[lo : min(hi, lo + limit)]
        if key:
            lo, hi = _prefix_range(by_title, key)
            from_titles = heapq.nsmallest(limit, (id_key for _, id_key in by_title[lo:hi]))
        else:
            from_titles = []  # every id matched already, and in order
        return [doc_id for _, doc_id in sorted(set(from_ids) | set(from_titles))[:limit]]

    def page(self, offset: int, limit: int) -> tuple[list[str], int]:
        """At most `limit` ids from the `offset`-th on, in the order of `find` (id, ignoring case), and
        how many articles there are: a page of the library for the price of a slice."""
        _, by_id = self._current()
        if limit <= 0:
            return [], len(by_id)
        start = max(offset, 0)
        return [doc_id for _, doc_id in by_id[start : start + limit]], len(by_id)

    def _current(self) -> tuple[list[tuple[str, tuple[str, str]]], list[tuple[str, str]]]:
        revision = self._store.revision()
        with self._lock:
            if revision != self._revision:
                pairs = self._store.titles()
                self._by_id = sorted((fold(doc_id), doc_id) for doc_id, _ in pairs)
                self._by_title = sorted(
                    (fold(title), (fold(doc_id), doc_id)) for doc_id, title in pairs if title
                )
                self._revision = revision
                self.builds += 1
            return self._by_title, self._by_id
