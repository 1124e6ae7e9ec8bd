"""English stemming: the one stemmer the keyword index and the claim checks share.

PyStemmer's `Stemmer` keeps per-call state and is not safe to share between threads (the bot answers
from several), so each thread gets its own; stems of single words are also cached process-wide.
"""

from __future__ import annotations

import threading
from functools import lru_cache
from typing import Any

_local = threading.local()


def english_stemmer() -> Any:
    """This thread's PyStemmer English (Snowball) stemmer, as bm25s's tokenizer takes it."""
    stemmer = getattr(_local, "stemmer", None)
    if stemmer is None:
        import Stemmer

        stemmer = _local.stemmer = Stemmer.Stemmer("english")
    return stemmer


@lru_cache(maxsize=50_000)
def stem(word: str) -> str:
    """The stem of one lower-cased word ("returning" -> "return")."""
    return str(english_stemmer().stemWord(word))
