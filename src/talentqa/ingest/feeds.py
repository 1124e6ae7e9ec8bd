"""The feeds talentqa follows, and which of their entries were already ingested.

State is one small JSON file (`feeds.json`) in a folder the caller chooses. Writes go through a lock
file and an atomic rename, so a `feeds update` loop and a `feeds add` from another terminal never
corrupt it. Entries are remembered by canonical URL, so an entry that reappears with new tracking
parameters or as an AMP link is not ingested twice.

Typical update: `check = feeds.check(url, settings)`, load and store each of `check.urls`, then
`feeds.mark_seen(url, stored_urls)` with the ones that succeeded, so failures are retried next time.
One update reads at most `MAX_FEED_ENTRIES` new entries; `check.note()` says so when it leaves some, and
since they stay unseen the next update reads them.
"""

from __future__ import annotations

import builtins
import datetime as dt
import json
import os
import tempfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from filelock import FileLock, Timeout
from pydantic import BaseModel, Field, ValidationError

from talentqa.errors import LoadError
from talentqa.ingest import web
from talentqa.ingest.web import canonical_url, feed_entries
from talentqa.settings import Settings

# Old entries drop off the front; a feed lists far fewer than this at once, so nothing reappears.
MAX_SEEN_PER_FEED = 5000
_LOCK_TIMEOUT_S = 10.0

T = TypeVar("T")


class Feed(BaseModel):
    """One followed feed."""

    url: str
    added: dt.datetime
    last_checked: dt.datetime | None = None
    seen: builtins.list[str] = Field(default_factory=list, description="Canonical URLs already taken.")


@dataclass(frozen=True)
class FeedCheck:
    """What one look at a feed found: how many entries it lists, how many were not taken before, and
    the new ones to read now (at most one ingest's worth, in feed order)."""

    listed: int
    new: int
    urls: builtins.list[str]

    @property
    def left(self) -> int:
        """New entries not read in this update (they stay unseen, so the next update reads them)."""
        return self.new - len(self.urls)

    def note(self) -> str | None:
        """A line saying what this update leaves for the next one, like ingest's line for a long feed."""
        if not self.left:
            return None
        return (
            f"the feed lists {self.listed:,} entries, {self.new:,} not read before; only the first "
            f"{len(self.urls):,} are read in one update, the other {self.left:,} in the next"
        )


class _State(BaseModel):
    version: int = 1
    feeds: dict[str, Feed] = Field(default_factory=dict)


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(microsecond=0)


def _feed_key(url: str) -> str:
    key = canonical_url(url)
    if not key.lower().startswith(("http://", "https://")):
        raise LoadError(url, "a feed URL must start with http:// or https://")
    return key


class FeedList:
    """The followed feeds stored in `folder/feeds.json` (the folder is created on first write)."""

    FILENAME = "feeds.json"

    def __init__(self, folder: Path) -> None:
        self.path = Path(folder) / self.FILENAME
        self._lock = FileLock(str(self.path) + ".lock", timeout=_LOCK_TIMEOUT_S)

    # --- storage --------------------------------------------------------------------------------

    def _read(self) -> _State:
        try:
            raw = self.path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return _State()
        except OSError as exc:
            raise LoadError(str(self.path), f"cannot read the feed list: {exc}") from exc
        try:
            return _State.model_validate_json(raw)
        except ValidationError as exc:
            raise LoadError(str(self.path), f"the feed list is corrupt: {exc.errors()[0]['msg']}") from exc

    def _write(self, state: _State) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        data: dict[str, Any] = state.model_dump(mode="json")
        fd, tmp = tempfile.mkstemp(prefix=".feeds-", suffix=".json", dir=self.path.parent)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                json.dump(data, handle, indent=2, ensure_ascii=False)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(tmp, self.path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise

    def _locked(self) -> FileLock:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        return self._lock

    def _update(self, change: Callable[[_State], T]) -> T:
        """Read, apply `change(state)`, write, all under the lock; returns what `change` returned."""
        try:
            with self._locked():
                state = self._read()
                result = change(state)
                self._write(state)
                return result
        except Timeout as exc:
            raise LoadError(str(self.path), "the feed list is locked by another process") from exc

    # --- the list -------------------------------------------------------------------------------

    def add(self, url: str) -> Feed:
        """Follow `url` (idempotent: adding a followed feed returns it unchanged)."""
        key = _feed_key(url)

        def change(state: _State) -> Feed:
            return state.feeds.setdefault(key, Feed(url=key, added=_now()))

        return self._update(change)

    def remove(self, url: str) -> bool:
        """Stop following `url`; False when it was not followed."""
        key = _feed_key(url)

        def change(state: _State) -> bool:
            return state.feeds.pop(key, None) is not None

        return self._update(change)

    def list(self) -> builtins.list[Feed]:
        """Every followed feed, sorted by URL."""
        return [feed for _key, feed in sorted(self._read().feeds.items())]

    def get(self, url: str) -> Feed | None:
        return self._read().feeds.get(_feed_key(url))

    # --- entries --------------------------------------------------------------------------------

    def new_entries(
        self, feed_url: str, settings: Settings, *, since: dt.date | None = None
    ) -> builtins.list[str]:
        """The article URLs to read now: `check(...).urls`."""
        return self.check(feed_url, settings, since=since).urls

    def check(self, feed_url: str, settings: Settings, *, since: dt.date | None = None) -> FeedCheck:
        """Fetch the feed: its article URLs not seen before, in feed order, at most `MAX_FEED_ENTRIES`
        of them, with the counts that say what was left for the next update.

        Raises LoadError (FetchError) when the feed is not followed or cannot be fetched or parsed.
        Records the check time; entries become seen only through `mark_seen`.
        """
        key = _feed_key(feed_url)
        feed = self._read().feeds.get(key)
        if feed is None:
            raise LoadError(feed_url, "not a followed feed; add it first")
        seen = set(feed.seen)
        entries = feed_entries(key, settings, since=since)
        fresh: builtins.list[str] = []
        for entry in entries:
            canonical = canonical_url(entry.url)
            if canonical not in seen:
                seen.add(canonical)
                fresh.append(entry.url)

        def change(state: _State) -> None:
            if key in state.feeds:
                state.feeds[key].last_checked = _now()

        self._update(change)
        # Read at call time, so the bound is the one `ingest` uses for a feed (and tests can lower it).
        return FeedCheck(listed=len(entries), new=len(fresh), urls=fresh[: web.MAX_FEED_ENTRIES])

    def mark_seen(self, feed_url: str, urls: Iterable[str]) -> None:
        """Remember `urls` (any spelling: they are canonicalised) as taken from `feed_url`."""
        key = _feed_key(feed_url)
        fresh = [canonical_url(u) for u in urls]

        def change(state: _State) -> None:
            feed = state.feeds.get(key)
            if feed is None:
                raise LoadError(feed_url, "not a followed feed; add it first")
            known = set(feed.seen)
            for url in fresh:
                if url not in known:
                    known.add(url)
                    feed.seen.append(url)
            del feed.seen[:-MAX_SEEN_PER_FEED]

        self._update(change)

    def seen(self, feed_url: str) -> set[str]:
        """Canonical URLs already taken from `feed_url` (empty when it is not followed)."""
        feed = self._read().feeds.get(_feed_key(feed_url))
        return set(feed.seen) if feed else set()
