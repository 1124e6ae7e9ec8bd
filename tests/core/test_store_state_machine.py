"""A hypothesis state machine: ingest / change / remove / reopen keep the store equal to a simple model
(the approach of Chroma's own property tests)."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from hypothesis import settings as hyp_settings
from hypothesis import strategies as st
from hypothesis.stateful import Bundle, RuleBasedStateMachine, invariant, rule

from talentqa.app import TalentQA
from talentqa.ingest.chunking import chunk_article
from talentqa.ingest.loaders import make_article
from talentqa.settings import Settings
from tests.conftest import FakeEmbedder
from tests.core.test_ingest_store import assert_consistent

WORDS = ["talent", "returns", "lab", "Beijing", "chip", "visa", "study", "fund", "scientist", "university"]
sentences = st.lists(st.sampled_from(WORDS), min_size=3, max_size=12).map(
    lambda ws: " ".join(ws).capitalize() + "."
)
bodies = st.lists(sentences, min_size=1, max_size=60).map(" ".join)


class StoreMachine(RuleBasedStateMachine):
    names = Bundle("names")

    def __init__(self) -> None:
        super().__init__()
        self.folder = Path(tempfile.mkdtemp(prefix="talentqa-sm-"))
        self.settings = Settings(store=self.folder / "vs")
        self.qa = TalentQA.open(self.settings, embedder=FakeEmbedder())
        self.model: dict[str, str] = {}  # doc id -> expected normalised text

    def _write(self, name: str, body: str) -> None:
        path = self.folder / f"{name}.txt"
        path.write_text(body)
        report = self.qa.ingest_sources([str(path)])
        assert report.summary()["failed"] == 0
        self.model[name] = make_article(doc_id=name, text=body, source="").text

    @rule(target=names, name=st.sampled_from([f"doc{i}" for i in range(6)]), body=bodies)
    def ingest(self, name: str, body: str) -> str:
        self._write(name, body)
        return name

    @rule(name=names, body=bodies)
    def change(self, name: str, body: str) -> None:
        self._write(name, body)

    @rule(name=names)
    def reingest_unchanged(self, name: str) -> None:
        if name not in self.model:
            return
        report = self.qa.ingest_sources([str(self.folder / f"{name}.txt")])
        assert report.summary()["unchanged"] == 1

    @rule(name=names)
    def remove(self, name: str) -> None:
        if name in self.model:
            self.qa.remove(name)
            del self.model[name]

    @rule()
    def reopen(self) -> None:
        self.qa.close()
        self.qa = TalentQA.open(self.settings, embedder=FakeEmbedder())

    @invariant()
    def store_matches_model(self) -> None:
        stored = {d.doc_id for d in self.qa.documents()}
        assert stored == set(self.model)
        per_doc = assert_consistent(self.qa.store)
        for name, text in self.model.items():
            assert self.qa.store.text(name) == text
            expected = chunk_article(make_article(doc_id=name, text=text, source=""), self.settings.chunking)
            assert per_doc.get(name, 0) == len(expected)

    def teardown(self) -> None:
        self.qa.close()
        shutil.rmtree(self.folder, ignore_errors=True)


StoreMachine.TestCase.settings = hyp_settings(max_examples=12, stateful_step_count=10, deadline=None)
TestStoreStateMachine = StoreMachine.TestCase
