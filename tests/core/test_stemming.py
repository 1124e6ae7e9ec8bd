"""The shared English stemmer: the same stems everywhere, one stemmer object per thread."""

from __future__ import annotations

import threading

from talentqa.answer.features import content_terms
from talentqa.stemming import english_stemmer, stem


def test_stems_are_snowball_english_and_claims_use_them() -> None:
    assert stem("returning") == stem("returned") == "return"
    assert english_stemmer().stemWords(["scientists"]) == [stem("scientists")]
    assert content_terms("The scientists were returning") == {stem("scientists"), "return"}


def test_each_thread_has_its_own_stemmer() -> None:
    seen: list[object] = []
    worker = threading.Thread(target=lambda: seen.append(english_stemmer()))
    worker.start()
    worker.join()
    assert seen[0] is not english_stemmer()
    assert english_stemmer() is english_stemmer()
