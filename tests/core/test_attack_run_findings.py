"""Findings of `benchmarks/attack_run.py` (issue 13's figures run again): each a traceback where one line
was due."""

from __future__ import annotations

from pathlib import Path

import pytest

from talentqa.app import check_question
from talentqa.errors import ConfigError, LoadError, QuestionError, SkippedInput
from talentqa.ingest.loaders import load_file, make_article
from talentqa.settings import Settings
from talentqa.store import parse_chroma_url


def test_a_file_name_that_is_not_utf8_is_its_own_report_line() -> None:
    # os.fsdecode(b"caf\xe9.txt"): Chroma's metadata encoder refused it and the whole batch was lost.
    with pytest.raises(LoadError, match="file name"):
        make_article(doc_id="cafe", text="Scientists returned.", source="docs/caf\udce9.txt")


def test_a_question_that_is_not_utf8_is_refused() -> None:
    # A question given as bytes that are not UTF-8 reached the tokenizer as lone surrogates (TypeError).
    with pytest.raises(QuestionError, match="UTF-8"):
        check_question("caf\udce9 scientists?", 1000)


@pytest.mark.parametrize("url", ["http://256.256.256.256:8000", "http://1.2.3:8000", "http://999:8000"])
def test_a_chroma_url_with_an_impossible_address_is_a_config_error(url: str) -> None:
    with pytest.raises(ConfigError, match="not an IP address"):
        parse_chroma_url(url)


@pytest.mark.parametrize("content", ["", "\n  \n\n"])
def test_an_empty_jsonl_file_is_listed_as_skipped(tmp_path: Path, content: str) -> None:
    # Found by the attack run: an empty .jsonl in a folder was in no report line at all.
    path = tmp_path / "empty.jsonl"
    path.write_text(content, encoding="utf-8")
    results = list(load_file(path, Settings()))
    assert len(results) == 1
    assert isinstance(results[0], SkippedInput)
    assert results[0].source == str(path)
