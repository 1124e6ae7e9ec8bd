"""Chinese text: which characters are ideographs, and how the keyword index reads them.

Chinese writes no spaces between words, so a word regex (`\\w+`) reads a whole clause as one "word":
one token for the chunker's size estimate, one unmatched term for BM25. This module holds what the
chunker and the keyword index need to treat ideographs as the model and a searcher would.
"""

from __future__ import annotations

import functools
import logging
import re
from typing import Any

# The ranges BERT-style WordPiece tokenizers (MiniLM's among them) treat as CJK ideographs: each such
# character becomes a token of its own, whatever surrounds it.
_IDEOGRAPH_CLASS = (
    "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0002a6df\U0002a700-\U0002ceaf\U0002f800-\U0002fa1f"
)
IDEOGRAPH = re.compile(f"[{_IDEOGRAPH_CLASS}]")
IDEOGRAPH_RUN = re.compile(f"[{_IDEOGRAPH_CLASS}]+")
# The keyword index's word pattern: bm25s's default (words of two or more word characters, exactly as for
# English before) or one ideograph, so a single-character Chinese term is not dropped.
KEYWORD_TOKEN_PATTERN = rf"(?u)\b\w\w+\b|[{_IDEOGRAPH_CLASS}]"

# Full-width ASCII (Ｍ Ｉ Ｔ, ２０２４) as Chinese typesetting uses it, folded for matching only: questions
# are NFKC-normalised to plain ASCII, and stored text keeps what the article printed.
_FULL_WIDTH = {code: code - 0xFEE0 for code in range(0xFF01, 0xFF5F)}

# jieba's words add whole-word matches (names, compounds) on top of the bigrams; shorter words are bigrams
# or single characters, which the bigrams already carry or which are mostly particles (的, 了, 在).
_MIN_WORD_CHARS = 3


def has_ideographs(text: str) -> bool:
    return IDEOGRAPH.search(text) is not None


@functools.cache
def _segmenter() -> Any:
    """jieba's tokenizer, loaded once. Its dictionary ships in the package (nothing is downloaded); the
    first use builds a prefix dictionary (about 0.6 s) and caches it in the temp folder for later runs."""
    import jieba  # type: ignore[import-untyped]

    # jieba logs its dictionary loading to stderr at DEBUG level by default.
    jieba.setLogLevel(logging.WARNING)
    return jieba.Tokenizer()


def chinese_terms(run: str) -> list[str]:
    """Keyword terms for one run of ideographs: every character bigram (dictionary-free, so traditional
    characters and unknown names match as well as simplified ones), plus jieba's longer words (search
    mode, so "中国科学院" also gives "科学院"). A single ideograph on its own is its own term."""
    if len(run) == 1:
        return [run]
    terms = [run[i : i + 2] for i in range(len(run) - 1)]
    terms.extend(word for word in _segmenter().cut_for_search(run, HMM=True) if len(word) >= _MIN_WORD_CHARS)
    return terms


def keyword_text(text: str) -> str:
    """`text` as the keyword tokenizer's word regex should read it: ideographs become spaces (so an English
    name glued to Chinese, "DeepSeek团队", is still the word "DeepSeek"), and the terms of each run of
    ideographs follow, space-separated. Text without ideographs comes back unchanged, but for full-width
    ASCII folded to ASCII."""
    text = text.translate(_FULL_WIDTH)
    runs = IDEOGRAPH_RUN.findall(text)
    if not runs:
        return text
    terms = [term for run in runs for term in chinese_terms(run)]
    return IDEOGRAPH_RUN.sub(" ", text) + "\n" + " ".join(terms)
