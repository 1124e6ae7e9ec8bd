"""Fixtures for the answerer tests: two small articles of our own and their real chunks as passages."""

from __future__ import annotations

import datetime as dt

import pytest

from talentqa.ingest.chunking import chunk_article
from talentqa.models import Article
from talentqa.retrieval import Passage
from talentqa.settings import ChunkSettings
from talentqa.text import normalise

from .helpers import ARTICLE_TEXT, SECOND_TEXT, TextStore


@pytest.fixture
def article() -> Article:
    return Article(
        doc_id="vos-returns",
        title="Battery chemist Mirela Vos comes home",
        text=normalise(ARTICLE_TEXT),
        url="https://news.example/vos-returns",
        published=dt.date(2024, 3, 18),
        content_hash="a1",
    )


@pytest.fixture
def survey() -> Article:
    return Article(
        doc_id="survey",
        title="Why scientists return",
        text=normalise(SECOND_TEXT),
        url="https://news.example/survey",
        published=dt.date(2023, 11, 2),
        content_hash="b2",
    )


@pytest.fixture
def texts(article: Article, survey: Article) -> dict[str, str]:
    return {article.doc_id: article.text, survey.doc_id: survey.text}


@pytest.fixture
def passages(article: Article, survey: Article) -> list[Passage]:
    """Real chunks of both articles (small ones, so there are several), in the order retrieval gave them."""
    settings = ChunkSettings(target_tokens=25, max_tokens=40, overlap_tokens=0)
    chunks = chunk_article(article, settings) + chunk_article(survey, settings)
    return [Passage(chunk=chunk, score=round(1.0 / (i + 1), 3)) for i, chunk in enumerate(chunks)]


@pytest.fixture
def text_of(texts: dict[str, str]) -> TextStore:
    return TextStore(texts)
