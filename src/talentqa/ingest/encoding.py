"""Decode a text file's bytes without guessing wrong in silence.

In order: a byte-order mark; strict UTF-8; Chinese (GB18030, Big5), judged by how common the decoded
characters are; then charset-normalizer, restricted to Western code pages. A general detector alone
reads a short GB18030 file ("回国", four bytes) as Big5 or Korean and returns fluent-looking nonsense, and
nothing downstream could tell: every quote from it would be verbatim and wrong. Text that holds
replacement characters (U+FFFD) is refused too, with where the first one is.
"""

from __future__ import annotations

import codecs
import functools

from talentqa.errors import LoadError, SkippedInput

# UTF-32 first: its little-endian mark begins with UTF-16's.
_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
# Mainland text first: on a tie (a few characters that read as sense either way) GB18030 wins. Big5's
# variants add Microsoft's and Hong Kong's extensions; the first that decodes stands for Big5.
_GB = "gb18030"
_BIG5 = ("big5", "cp950", "big5hkscs")
# Western code pages the detector may choose from: news archives are mostly Windows-1252/Latin-1.
_WESTERN = ["cp1252", "latin_1", "iso8859_15", "cp1250", "iso8859_2", "cp1251", "koi8_r", "mac_roman"]
_PREFERRED_WESTERN = ("cp1252", "latin_1", "iso8859_15")
# Share of the non-ASCII characters that must be common Chinese (see `_weight`) for a Chinese reading.
_MIN_CHINESE_SCORE = 0.75
# Lead-byte ranges of each standard's level-1 (frequent) and level-2 (rarer) ideographs.
_LEVELS = (("gb2312", (0xB0, 0xD7), (0xD8, 0xF7)), ("big5", (0xA4, 0xC6), (0xC9, 0xF9)))
_CJK_PUNCTUATION = frozenset("\u00b7\u2014\u2018\u2019\u201c\u201d\u2026")


def decode_bytes(data: bytes, source: str) -> str:
    """The text of a file's bytes; `LoadError` for binary data, an unknown encoding or damaged text."""
    if not data.strip():
        raise SkippedInput(source, "empty file")
    text = _decode(data, source)
    damaged = text.find("\ufffd")
    if damaged >= 0:
        raise LoadError(
            source,
            f"the text holds replacement characters (U+FFFD, first at character {damaged}): it was damaged "
            "by a wrong decoding before it got here; ingest the original file",
        )
    return text


def _decode(data: bytes, source: str) -> str:
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            try:
                return data.decode(encoding)
            except UnicodeDecodeError as exc:
                raise LoadError(source, f"not valid {encoding.upper()} despite its byte-order mark") from exc
    if b"\x00" in data[:8192]:
        raise LoadError(source, "binary file (not text)")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    chinese = _decode_chinese(data)
    if chinese is not None:
        return chinese
    return _decode_western(data, source)


def _decode_chinese(data: bytes) -> str | None:
    """The better of the GB18030 and Big5 readings, if one reads as Chinese."""
    best: tuple[float, str] | None = None
    for encodings in ((_GB,), _BIG5):
        for encoding in encodings:
            try:
                text = data.decode(encoding)
            except UnicodeDecodeError:
                continue
            score = chinese_score(text)
            if score is not None and (best is None or score > best[0]):
                best = (score, text)
            break
    if best is None or best[0] < _MIN_CHINESE_SCORE:
        return None
    return best[1]


def chinese_score(text: str) -> float | None:
    """How much `text` reads as Chinese: the mean weight of its non-ASCII characters (1 for a common
    ideograph or Chinese punctuation, 0 for kana, Greek, private-use and the like, which a wrong reading
    of GB18030 as Big5 or the reverse produces). None when it holds no two ideographs in a row: a Western
    file whose accents happen to pair up as valid double bytes gives isolated ideographs, Chinese gives
    words."""
    non_ascii = [ch for ch in text if ord(ch) > 0x7F]
    if not non_ascii or not _has_ideograph_pair(text):
        return None
    return sum(_weight(ch) for ch in non_ascii) / len(non_ascii)


def _has_ideograph_pair(text: str) -> bool:
    previous = False
    for ch in text:
        current = "\u4e00" <= ch <= "\u9fff"
        if current and previous:
            return True
        previous = current
    return False


@functools.lru_cache(maxsize=65536)
def _weight(ch: str) -> float:
    """1 for a level-1 (frequent) character of GB2312 or Big5, 0.5 for a level-2 one, 1 for Chinese
    punctuation and full-width forms, 0 for anything else. The two standards' levels rank characters by
    use, which gives a frequency table without shipping one."""
    if "\u3000" <= ch <= "\u303f" or "\uff01" <= ch <= "\uff5e" or ch in _CJK_PUNCTUATION:
        return 1.0
    if not "\u4e00" <= ch <= "\u9fff":
        return 0.0
    weight = 0.0
    for encoding, level_1, level_2 in _LEVELS:
        try:
            lead = ch.encode(encoding)[0]
        except UnicodeEncodeError:
            continue
        if level_1[0] <= lead <= level_1[1]:
            return 1.0
        if level_2[0] <= lead <= level_2[1]:
            weight = 0.5
    return weight


def _decode_western(data: bytes, source: str) -> str:
    from charset_normalizer import from_bytes

    matches = from_bytes(data, cp_isolation=_WESTERN)
    best = matches.best()
    if best is None:
        raise LoadError(source, "binary file or unknown text encoding (not UTF-8, GB18030, Big5 or Western)")
    # Short Western-European texts fit several code pages equally well; news archives are mostly
    # Windows-1252/Latin-1, so prefer those when the detector considers them plausible.
    plausible = {match.encoding for match in matches}
    preferred = next((enc for enc in _PREFERRED_WESTERN if enc in plausible), None)
    text = data.decode(preferred) if preferred else str(best)
    printable = sum(ch.isprintable() or ch.isspace() for ch in text[:4096])
    if printable < 0.95 * min(len(text), 4096):
        raise LoadError(source, "binary file (not text)")
    return text
