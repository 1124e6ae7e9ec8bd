"""Which script a chunk or a question is written in: the stand-in for its language that cross-language
retrieval keys on."""

from __future__ import annotations

import pytest

from talentqa.store.script import HAN, LATIN, text_script


@pytest.mark.parametrize(
    ("text", "script"),
    [
        ("Which corporation does the China Academy of Space Technology belong to?", LATIN),
        ("中国空间技术研究院属于什么公司？", HAN),
        # Traditional characters are the same script.
        ("中國空間技術研究院屬於什麼公司？", HAN),
        # A Chinese paragraph quoting English names and full-width letters stays Chinese ...
        (
            "中国空间技术研究院（China Academy of Space Technology，简称ＣＡＳＴ）隶属于航天科技集团",
            HAN,
        ),
        ("DeepSeek团队的梁文锋毕业于浙江大学", HAN),
        # ... and an English question naming a Chinese person stays English.
        ("What did 杨保华 study at university?", LATIN),
        ("Où se trouve l'Académie chinoise de technologie spatiale ?", LATIN),
        ("Где находится Китайская академия космических технологий?", "cyrillic"),
    ],
)
def test_text_is_classed_by_the_script_most_of_it_is_written_in(text: str, script: str) -> None:
    assert text_script(text) == script


def test_text_without_letters_has_no_script() -> None:
    assert text_script("") == ""
    assert text_script("1968 — 2024, 68%") == ""
