"""Turn files and bulk records into `Article`s.

Each loader yields `Article`s or `LoadError`s: one bad input (or one bad line of a JSONL file) becomes one
error naming it, and the rest of the batch goes on.
"""

from __future__ import annotations

import fnmatch
import io
import json
import os
import re
import stat
import unicodedata
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any, BinaryIO

import yaml
from pydantic import Field

from talentqa.dates import parse_date
from talentqa.errors import LoadError, SkippedInput
from talentqa.ingest.encoding import decode_bytes
from talentqa.ingest.extract import extract_html, extract_pdf
from talentqa.models import Article
from talentqa.settings import Settings
from talentqa.text import content_hash, normalise, slugify


class FileArticle(Article):
    """An article whose id is its file's name. A file of the same name in another folder gets the same
    id, so the pipeline refuses it when a different file, still present, already holds that id."""

    origin: str = Field(description="The file's resolved absolute path.")


LoadResult = Article | LoadError

MIN_HTML_WORDS = 8
SUPPORTED_SUFFIXES = {".txt", ".text", ".md", ".markdown", ".html", ".htm", ".pdf", ".jsonl"}


def make_article(
    *,
    doc_id: str,
    text: str,
    source: str,
    title: str | None = None,
    url: str | None = None,
    author: str | None = None,
    published: Any = None,
    outlet: str | None = None,
    named_after: Path | None = None,
) -> Article:
    """Normalise and hash; refuses an article without text, or with text no encoder accepts.

    `named_after`: the file whose name `doc_id` was made from (a `FileArticle` is returned).
    """
    # A file name that is not UTF-8 reaches here as lone surrogates (surrogateescape), as JSON escapes do.
    named = {"file name": source, "id": doc_id, "text": text, "title": title, "url": url, "author": author}
    _check_unicode(source, **named, outlet=outlet)
    _check_id(source, doc_id)
    body = normalise(text)
    if not body:
        raise LoadError(source, "no article text found")
    clean_title = normalise(title or "").replace("\n", " ")
    date = parse_date(published)
    clean_outlet = " ".join((outlet or "").split()) or None
    # An outlet joins the hash only when there is one, so an article stored before outlets were kept
    # hashes as it did and is not re-ingested as changed.
    extra = (clean_outlet,) if clean_outlet else ()
    day = date.isoformat() if date else ""
    fields: dict[str, Any] = {
        "doc_id": doc_id.strip(),
        "title": clean_title,
        "text": body,
        "url": url or None,
        "author": author or None,
        "published": date,
        "outlet": clean_outlet,
        "source": source,
        "content_hash": content_hash(clean_title, url, author, day, body, *extra),
    }
    if named_after is not None:
        return FileArticle(**fields, origin=str(named_after.resolve()))
    return Article(**fields)


def _check_unicode(source: str, **fields: str | None) -> None:
    """JSON and YAML escapes can spell a lone surrogate ("\\ud800"), which is no character: no encoder
    takes it, and it would fail the whole batch when stored. Refuse the one input here instead."""
    for name, value in fields.items():
        if not value:
            continue
        try:
            value.encode("utf-8")
        except UnicodeEncodeError as exc:
            raise LoadError(
                source,
                f"invalid text in the {name}: a lone surrogate ({value[exc.start]!r}) at character "
                f"{exc.start}, which is not a character",
            ) from None


def _check_id(source: str, doc_id: str) -> None:
    """An id is what `sources show/remove` and `--source` are given: one holding a control or format
    character (NUL, a tab, a zero-width space) cannot be typed there, so its document could never be
    shown, removed or filtered on. Refused with the reason rather than stored unreachable."""
    for position, char in enumerate(doc_id.strip()):
        if unicodedata.category(char) in {"Cc", "Cf", "Zl", "Zp"}:
            raise LoadError(
                source,
                f"the id {doc_id!r} holds a control character (U+{ord(char):04X} at position {position}), "
                "which no command can be given; use an id without one",
            )


# --- one loader per format ------------------------------------------------------------------------------

_FRONT_MATTER = re.compile(r"\A---[ \t]*\n(.*?)\n---[ \t]*(?:\n|\Z)", re.DOTALL)
_MD_IMAGE = re.compile(r"!\[([^\]]*)\]\([^)]*\)")
_MD_LINK = re.compile(r"\[([^\]]+)\]\((?:[^()]|\([^)]*\))*\)")
_MD_HEADING = re.compile(r"^#{1,6}\s+", re.MULTILINE)
_MD_EMPHASIS = re.compile(r"(\*\*|__|(?<!\w)\*(?=\S)|(?<=\S)\*(?!\w))")
_MD_FENCE = re.compile(r"^```.*$", re.MULTILINE)
_MD_QUOTE = re.compile(r"^>\s?", re.MULTILINE)


def markdown_to_text(markdown: str) -> str:
    """Plain reading text: quotes then match what a reader sees, not the markup."""
    text = _MD_FENCE.sub("", markdown)
    text = _MD_IMAGE.sub(r"\1", text)
    text = _MD_LINK.sub(r"\1", text)
    text = _MD_HEADING.sub("", text)
    text = _MD_QUOTE.sub("", text)
    return _MD_EMPHASIS.sub("", text)


def _first_heading(markdown: str) -> str | None:
    match = re.search(r"^#\s+(.+)$", markdown, re.MULTILINE)
    return match.group(1).strip() if match else None


class _FrontMatterLoader(yaml.SafeLoader):
    """YAML without aliases. Front matter never needs them, and an alias bomb (a few hundred bytes of
    nested `*refs`) loads as a small shared structure that grows to gigabytes once a value is turned
    into text; refusing aliases keeps what is built proportional to what was read."""

    def compose_node(self, parent: yaml.Node | None, index: Any) -> yaml.Node | None:
        if self.check_event(yaml.AliasEvent):
            raise _AliasRefused(problem="aliases (*name) are not allowed in front matter")
        return super().compose_node(parent, index)  # type: ignore[no-untyped-call]


class _AliasRefused(yaml.composer.ComposerError):
    pass


def _timestamp_as_text(loader: yaml.SafeLoader, node: yaml.Node) -> str:
    """Dates stay text for talentqa's own date parser: YAML's raises on an impossible one (2024-02-30,
    a +99:00 offset), which would abort the whole batch, where the parser just finds no date."""
    return str(loader.construct_scalar(node))  # type: ignore[arg-type]


_FrontMatterLoader.add_constructor("tag:yaml.org,2002:timestamp", _timestamp_as_text)


def _front_matter(path: Path, raw: str, *, strict: bool = True) -> tuple[dict[str, Any], str]:
    """A file's YAML front matter (between `---` lines at its top) and the body after it; ({}, raw)
    without one. Not `strict` (plain text, where `---` lines can be rules in the prose), a block that is
    not a YAML mapping is text, not an error."""
    match = _FRONT_MATTER.match(raw)
    if not match:
        return {}, raw
    try:
        parsed = yaml.load(match.group(1), Loader=_FrontMatterLoader)  # a SafeLoader, less aliases
    except _AliasRefused as exc:
        raise LoadError(str(path), "invalid YAML front matter: aliases (*name) are not allowed") from exc
    except yaml.YAMLError as exc:
        if not strict:
            return {}, raw
        raise LoadError(str(path), f"invalid YAML front matter: {exc.__class__.__name__}") from exc
    if parsed is not None and not isinstance(parsed, dict):
        if not strict:
            return {}, raw
        raise LoadError(str(path), "front matter is not a mapping")
    return parsed or {}, raw[match.end() :]


def load_markdown(path: Path, raw: str) -> Iterator[LoadResult]:
    meta, body = _front_matter(path, raw)
    title = meta.get("title") or _first_heading(body) or _title_from_stem(path)
    yield _file_article(path, meta, markdown_to_text(body), str(title))


def _file_article(path: Path, meta: dict[str, Any], text: str, title: str) -> Article:
    """A file's article with its front matter's identity and metadata (the path's stem without an id)."""
    given_id = meta.get("id") or meta.get("url")
    return make_article(
        doc_id=str(given_id or slugify(path.stem)),
        named_after=None if given_id else path,
        text=text,
        source=str(path),
        title=title,
        url=_str_or_none(meta.get("url")),
        author=_author(meta.get("author") or meta.get("authors")),
        published=_published(meta),
        outlet=_outlet(meta),
    )


def load_text(path: Path, raw: str) -> Iterator[LoadResult]:
    """A plain-text article: its title the first line when that reads as a headline. YAML front matter
    at the top, as Markdown files have it, gives the title, link, author, date and outlet and is never
    part of the quotable text: without it a text file's date or disclaimer had to be written into the
    article itself, where it was read and quoted as content."""
    meta, body = _front_matter(path, raw, strict=False)
    lines = body.strip().splitlines()
    first = lines[0].strip() if lines else ""
    # A short first line standing alone above a blank line reads as a headline.
    standalone = len(lines) > 2 and not lines[1].strip()
    if meta.get("title"):
        title = str(meta["title"])
    elif (
        first
        and len(first) <= 150
        and (standalone or not first.endswith((".", "!", "?", ":")))
        and len(lines) > 1
    ):
        title = first
    else:
        title = _title_from_stem(path)
    yield _file_article(path, meta, body, title)


def load_html(path: Path, raw: str, *, url: str | None = None) -> Iterator[LoadResult]:
    page = extract_html(raw, source=str(path), url=url)
    # Navigation-only pages leave a few stray words ("Home", "Menu"); that is not an article.
    if len(page.text.split()) < MIN_HTML_WORDS:
        raise LoadError(str(path), "no article text found in the HTML page")
    page_url = page.url or url
    if page_url and not page_url.startswith(("http://", "https://")):
        page_url = None
    yield make_article(
        doc_id=page_url or slugify(path.stem),
        named_after=None if page_url else path,
        text=page.text,
        source=str(path),
        title=page.title or _title_from_stem(path),
        url=page_url,
        author=page.author,
        published=page.date,
        outlet=page.outlet,
    )


def load_pdf(path: Path, data: bytes) -> Iterator[LoadResult]:
    pdf = extract_pdf(data, source=str(path))
    yield make_article(
        doc_id=slugify(path.stem),
        named_after=path,
        text=pdf.text,
        source=str(path),
        title=pdf.title or _title_from_stem(path),
        author=pdf.author,
        published=pdf.published,
    )


def load_records(lines: Iterable[str], source: str) -> Iterator[LoadResult]:
    """JSONL records `{"id","title","text","url"?,"published"?}`; a bad line fails alone, naming its
    file and line, and the lines after it are read."""
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        where = f"{source}:{number}"
        result: LoadResult
        try:
            result = _record(json.loads(line), where)
        except json.JSONDecodeError as exc:
            result = LoadError(where, f"invalid JSON ({exc.msg})")
        except RecursionError:
            result = LoadError(where, "invalid JSON (nested too deeply)")
        except LoadError as exc:
            result = exc
        except ValueError as exc:  # a value no article can hold (pydantic's ValidationError is one)
            result = LoadError(where, f"invalid record ({exc.__class__.__name__})")
        yield result


def _record(record: Any, where: str) -> Article:
    if not isinstance(record, dict):
        raise LoadError(where, "record is not a JSON object")
    doc_id = record.get("id")
    text = record.get("text")
    if not isinstance(doc_id, str | int) or str(doc_id).strip() == "":
        raise LoadError(where, "record has no 'id'")
    if not isinstance(text, str):
        raise LoadError(where, f"record {doc_id!r} has no 'text'")
    return make_article(
        doc_id=str(doc_id),
        text=text,
        source=where,
        title=_str_or_none(record.get("title")) or str(doc_id),
        url=_str_or_none(record.get("url")),
        author=_author(record.get("author")),
        published=_published(record),
        outlet=_outlet(record),
    )


# --- dispatch ---------------------------------------------------------------------------------------------


def load_file(path: Path, settings: Settings) -> Iterator[LoadResult]:
    """Load one file by its suffix; every failure becomes a `LoadError` naming the file."""
    source = str(path)
    suffix = path.suffix.lower()
    try:
        if suffix not in SUPPORTED_SUFFIXES:
            raise SkippedInput(source, f"unsupported file type {suffix or '(none)'} (not read)")
        with open_regular(path) as handle:
            size = os.fstat(handle.fileno()).st_size
            if size > settings.ingest.max_file_bytes:
                raise LoadError(source, f"file too large ({size:,} bytes)")
            if suffix == ".jsonl":
                records = load_records(io.TextIOWrapper(handle, encoding="utf-8", errors="replace"), source)
                listed = False
                for result in records:
                    listed = True
                    yield result
                if not listed:  # empty, or blank lines only: listed like any other empty file
                    raise SkippedInput(source, "empty file")
                return
            data = handle.read()
        if suffix == ".pdf":
            if not data.strip():
                raise SkippedInput(source, "empty file")
            yield from load_pdf(path, data)
            return
        raw = decode_bytes(data, source)
        loader: Callable[[Path, str], Iterator[LoadResult]]
        if suffix in {".md", ".markdown"}:
            loader = load_markdown
        elif suffix in {".html", ".htm"}:
            loader = load_html
        else:
            loader = load_text
        yield from loader(path, raw)
    except LoadError as exc:
        yield exc
    except (OSError, UnicodeError, RecursionError) as exc:
        yield LoadError(source, f"{exc.__class__.__name__}: {exc}")


def open_regular(path: Path) -> BinaryIO:
    """Open `path` for reading only if it is a regular file; LoadError otherwise.

    Opening a FIFO blocks until something writes to it, so an input named like an article that is a
    FIFO would hang a whole ingest; a device such as /dev/zero never ends. The file is opened without
    blocking and checked on the open descriptor, so a file swapped for a FIFO after a check is caught.
    """
    nonblocking = getattr(os, "O_NONBLOCK", 0)
    fd = os.open(path, os.O_RDONLY | nonblocking | getattr(os, "O_CLOEXEC", 0))
    try:
        mode = os.fstat(fd).st_mode
        if not stat.S_ISREG(mode):
            raise LoadError(str(path), f"not a regular file ({_file_kind(mode)})")
        if nonblocking:
            os.set_blocking(fd, True)
        return os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise


def _file_kind(mode: int) -> str:
    if stat.S_ISFIFO(mode):
        return "a FIFO"
    if stat.S_ISSOCK(mode):
        return "a socket"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    return "not a file"


def _not_regular(path: Path) -> LoadError | None:
    """A LoadError for a path that exists but is no regular file (a FIFO, socket or device), else None."""
    try:
        mode = path.stat().st_mode
    except OSError:
        return None  # reported where it is opened
    if stat.S_ISREG(mode):
        return None
    return LoadError(str(path), f"not a regular file ({_file_kind(mode)})")


def iter_files(roots: Iterable[str | Path], pattern: str = "**/*") -> Iterator[Path | LoadError]:
    """Expand files and folders (recursively, symlink loops detected); hidden files are skipped."""
    for root in roots:
        path = Path(root)
        try:
            if path.is_symlink() and not path.exists():
                path.resolve(strict=True)  # raises for loops and dangling links, with the reason
            if not path.exists():
                yield LoadError(str(path), "no such file or folder")
            elif path.is_dir():
                yield from _walk(path, pattern)
            else:
                yield _not_regular(path) or path
        except (OSError, RuntimeError) as exc:
            yield LoadError(str(path), _os_reason(exc))


def _walk(root: Path, pattern: str) -> Iterator[Path | LoadError]:
    seen: set[tuple[int, int]] = set()
    # os.walk drops a folder it cannot list without a word; its files would be missing from the store
    # while the ingest said all went well, so each such folder is a failure in the report.
    unreadable: list[OSError] = []
    for folder, dirnames, filenames in os.walk(root, followlinks=True, onerror=unreadable.append):
        yield from _unreadable_folders(unreadable)
        info = os.stat(folder)
        key = (info.st_dev, info.st_ino)
        if key in seen:
            dirnames.clear()
            yield LoadError(folder, "symlink loop (folder already visited)")
            continue
        seen.add(key)
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        for name in sorted(filenames):
            if name.startswith("."):
                continue
            path = Path(folder) / name
            relative = path.relative_to(root).as_posix()
            if not _matches(relative, name, pattern):
                continue
            if path.is_symlink() and not path.exists():
                try:
                    path.resolve(strict=True)
                    reason = "broken symlink"
                except (OSError, RuntimeError) as exc:
                    reason = _os_reason(exc)
                yield LoadError(str(path), reason)
                continue
            yield _not_regular(path) or path
    yield from _unreadable_folders(unreadable)


def _unreadable_folders(errors: list[OSError]) -> Iterator[LoadError]:
    for error in errors:
        yield LoadError(str(error.filename), f"cannot read the folder: {_os_reason(error)}")
    errors.clear()


def _matches(relative: str, name: str, pattern: str) -> bool:
    """'**/' matches any depth including none, as in shell globstar."""
    bare = pattern
    while bare.startswith("**/"):
        bare = bare[3:]
    return (
        fnmatch.fnmatch(relative, pattern) or fnmatch.fnmatch(relative, bare) or fnmatch.fnmatch(name, bare)
    )


def _os_reason(exc: BaseException) -> str:
    message = str(exc)
    if "Symlink loop" in message or "Too many levels" in message or isinstance(exc, RuntimeError):
        return "symlink loop"
    return getattr(exc, "strerror", None) or message


def _title_from_stem(path: Path) -> str:
    return re.sub(r"[-_]+", " ", path.stem).strip().capitalize() or path.name


def _str_or_none(value: Any) -> str | None:
    if value is None:
        return None
    text = str(value).strip()
    return text or None


# Where records and front matter name the publication. `source` is the name news datasets use (NewsAPI's
# is an object with a `name`); a path or URL there names a file, not an outlet, and is ignored.
OUTLET_KEYS = ("outlet", "publication", "publisher", "site_name", "sitename", "source")


def _outlet(meta: dict[str, Any]) -> str | None:
    for key in OUTLET_KEYS:
        value = meta.get(key)
        if isinstance(value, dict):
            value = value.get("name")
        if isinstance(value, str) and value.strip() and len(value) <= 200 and "/" not in value:
            return value.strip()
    return None


# Where records and front matter give the publication date, by the names feeds, news APIs, CMS exports and
# schema.org use; the first one present is taken.
PUBLISHED_KEYS = (
    "published",
    "published_at",
    "publishedAt",
    "publish_date",
    "pubDate",
    "date_published",
    "datePublished",
    "date",
)


def _published(meta: dict[str, Any]) -> Any:
    for key in PUBLISHED_KEYS:
        value = meta.get(key)
        if value not in (None, ""):
            return value
    return None


def _author(value: Any) -> str | None:
    if isinstance(value, list | tuple):
        return ", ".join(str(v) for v in value if v) or None
    return _str_or_none(value)
