"""`TalentQA`: the store, model, keyword index and answerers, loaded once and shared by every front-end."""

from __future__ import annotations

import datetime as dt
import logging
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from talentqa import __version__
from talentqa.answer.asked import is_yes_no
from talentqa.answer.citations import paragraph_around, verify_citations
from talentqa.answer.reading import Reading, ReadingAnswerer
from talentqa.answer.texts import SOURCES_DONT_SAY
from talentqa.catalog import DocumentCatalog
from talentqa.dates import question_dates
from talentqa.embeddings import Embedder, model_under, parse_embedding_id
from talentqa.errors import DocumentNotFoundError, EmptyStoreError, QuestionError
from talentqa.ingest.pipeline import Ingestor, ProgressCallback, iter_sources
from talentqa.models import Answer, AnswererName, DocumentInfo, DocumentPage, IngestReport
from talentqa.paths import how_to_ingest
from talentqa.retrieval import Filters, HybridRetriever, Passage, Retrieved, TalentQARetriever
from talentqa.service import Turn
from talentqa.settings import LLMSettings, Settings
from talentqa.store import Store
from talentqa.store.keyword import KeywordIndexCache
from talentqa.text import normalise_question

log = logging.getLogger(__name__)


def _adopt_store_backend(settings: Settings, embedder: Embedder, store: Store) -> tuple[Settings, Embedder]:
    """Keep using a store built with the same model under another backend (say fp32 before int8 became
    the default) rather than refuse it: its vectors only match questions embedded the same way. A backend
    the user chose explicitly is never overridden; `talentqa reindex` converts the store."""
    recorded = store.recorded_model()
    if not recorded or recorded == embedder.name or "backend" in settings.embedding.model_fields_set:
        return settings, embedder
    parsed = parse_embedding_id(recorded)
    if parsed is None or parsed[0] != model_under(settings.embedding, parsed[1]):
        return settings, embedder
    backend = parsed[1]
    log.warning(
        "the store %s was embedded with the %r backend; using it for this store "
        "(`talentqa reindex` re-embeds it with the configured %r backend)",
        store.location,
        backend,
        settings.embedding.backend,
    )
    embedding = settings.embedding.model_copy(update={"backend": backend})
    adopted = Embedder(embedding)
    store.model_name = adopted.name
    return settings.model_copy(update={"embedding": embedding}), adopted


def check_question(question: str, max_chars: int) -> str:
    cleaned = normalise_question(question)
    if not cleaned:
        raise QuestionError("the question is empty")
    try:
        cleaned.encode("utf-8")
    except UnicodeEncodeError:  # bytes that are not UTF-8 in argv arrive as lone surrogates
        raise QuestionError("the question holds bytes that are not UTF-8 text") from None
    if len(cleaned) > max_chars:
        raise QuestionError(
            f"the question is too long ({len(cleaned):,} characters; the limit is {max_chars:,})"
        )
    return cleaned


class TalentQA:
    """Implements `talentqa.service.QAService`."""

    def __init__(self, settings: Settings, store: Store, embedder: Embedder) -> None:
        self.settings = settings
        self.store = store
        self.embedder = embedder
        self.keyword = KeywordIndexCache(store)
        self.retriever = HybridRetriever(store, embedder, self.keyword, settings.retrieval)
        self.extractive = ReadingAnswerer(settings.answer)
        self.catalog = DocumentCatalog(store)
        self._llm: Any = None
        self._accurate: ReadingAnswerer | None = None
        self._server: Any = None
        self._write_lock = threading.Lock()
        # The bot answers several questions at once: the first two must not start two llama.cpp servers.
        self._answerer_lock = threading.Lock()

    @classmethod
    def open(
        cls, settings: Settings | None = None, *, embedder: Embedder | None = None, create: bool = True
    ) -> TalentQA:
        """Load everything for `settings`; `create=False` for front-ends that only read, so a store that
        does not exist is a StoreMissingError instead of a new empty one."""
        settings = settings or Settings()
        given = embedder is not None
        embedder = embedder or Embedder(settings.embedding)
        store = Store.open(
            settings,
            model_name=embedder.name,
            dimension=embedder.dimension,
            check_model=False,
            create=create,
        )
        try:
            if not given:
                settings, embedder = _adopt_store_backend(settings, embedder, store)
            store.check_model()
        except BaseException:
            store.close()
            raise
        return cls(settings, store, embedder)

    def close(self) -> None:
        try:
            self.store.close()
        finally:
            if self._server is not None:
                self._server.stop()

    def __enter__(self) -> TalentQA:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- asking ---------------------------------------------------------------------------------------------

    def langchain_retriever(self, k: int | None = None, filters: Filters | None = None) -> TalentQARetriever:
        return TalentQARetriever(hybrid=self.retriever, k=k, filters=filters or Filters())

    def llm_answerer(self) -> Any:
        """The LLM answerer on the configured endpoint; with none configured (no base URL, no OpenAI key)
        and the `accurate` extra installed, on the local Qwen2.5 model through a llama.cpp server talentqa
        starts now (shared with the accurate reader) and stops on `close()`."""
        with self._answerer_lock:
            if self._llm is None:
                from talentqa.answer.llm import LLMAnswerer, build_chat_model, needs_endpoint
                from talentqa.reading.llama_server import local_model_installed

                llm = self.settings.llm
                if needs_endpoint(llm) and local_model_installed():
                    llm = self._local_llm(llm)
                self._llm = LLMAnswerer(build_chat_model(llm), self.settings.answer)
            return self._llm

    def _local_llm(self, llm: LLMSettings) -> LLMSettings:
        """`llm` pointed at the local llama.cpp server, started on first need (callers hold the lock)."""
        from talentqa.reading.llama_server import pointed_at, start_local_server

        if self._server is None:
            self._server = start_local_server(llm)
        return pointed_at(llm, self._server)

    def accurate_answerer(self) -> ReadingAnswerer:
        """The fast reader ranking passages and an instruct LLM reading the best ones. Served by the
        configured endpoint (`llm.base_url`), or else by a llama.cpp server talentqa starts now and stops
        on `close()`."""
        with self._answerer_lock:
            if self._accurate is None:
                from talentqa.answer.llm import build_chat_model
                from talentqa.answer.reading import accurate_ranker
                from talentqa.reading.llm_reader import build_cascade

                llm = self.settings.llm
                if llm.base_url is None:
                    llm = self._local_llm(llm)
                answer = self.settings.answer
                cascade = build_cascade(answer, build_chat_model(llm), accurate_ranker(answer))
                self._accurate = ReadingAnswerer(
                    # its LLM's one threshold (`ask` keeps yes/no questions with the fast reader)
                    answer.model_copy(
                        update={
                            "abstain_threshold": answer.accurate_threshold,
                            "yes_no_threshold": answer.accurate_threshold,
                            "news_abstain_threshold": answer.accurate_news_threshold,
                        }
                    ),
                    reader=lambda: cascade,
                    name="accurate",
                )
            return self._accurate

    def ask(
        self,
        question: str,
        *,
        history: Sequence[Turn] = (),
        k: int | None = None,
        sources: Sequence[str] | None = None,
        since: dt.date | None = None,
        until: dt.date | None = None,
        answerer: AnswererName | None = None,
        threshold: float | None = None,
        today: dt.date | None = None,
    ) -> Answer:
        """Answer with verified quotes or abstain; `threshold` overrides the reader's abstention
        threshold for this call only (evaluation tries thresholds without touching shared settings).
        `today` is the day the question is asked (default: today), which its "this week" counts from."""
        started = time.perf_counter()
        question = check_question(question, self.settings.answer.max_question_chars)
        if sources:
            self._check_sources(sources)
        mode = answerer or self.settings.answer.answerer
        standalone = question
        timings: dict[str, float] = {}
        if history and mode == "llm":
            t = time.perf_counter()
            standalone = self.llm_answerer().rewrite(question, history)
            timings["rewrite_ms"] = (time.perf_counter() - t) * 1000
        elif history:
            from talentqa.answer.followup import contextualise

            standalone = contextualise(question, history)
        retrieved = self._retrieve(standalone, k, Filters(tuple(sources or ()), since, until), today)
        timings.update(retrieved.timings)
        t = time.perf_counter()
        if mode == "llm":
            result: Answer = self.llm_answerer().answer(standalone, retrieved.passages, self.store.text)
        elif mode == "accurate" and not is_yes_no(standalone):
            # Yes/no questions stay with the fast reader and its yes/no threshold: on SciFact claims asked
            # as yes/no questions the LLM judge separated evidence from near-misses worse (AUC 0.834
            # against 0.903 on the same 100) and its threshold withheld 44% of answerable ones.
            result = self.accurate_answerer().answer(
                standalone,
                retrieved.passages,
                self.store.text,
                threshold=threshold,
                read_first=retrieved.read_first,
            )
            if result.abstained:
                # No one passage answers for the LLM; several articles may, together (the fast reader's
                # agreement on a name, by its own threshold).
                agreed = self.extractive.agreed_answer(
                    standalone, retrieved.passages, self.store.text, read_first=retrieved.read_first
                )
                result = agreed if agreed is not None else result
        else:
            # a threshold given for the accurate reader is on its LLM's scale, not the fast reader's
            own = None if mode == "accurate" else threshold
            result = self.extractive.answer(
                standalone,
                retrieved.passages,
                self.store.text,
                threshold=own,
                read_first=retrieved.read_first,
            )
        timings["answer_ms"] = (time.perf_counter() - t) * 1000
        t = time.perf_counter()
        # The last gate: whatever the answerer did, only spans equal to stored text reach a user.
        result.citations = verify_citations(result.citations, self.store.text)
        result.related = verify_citations(result.related, self.store.text)
        if not result.citations and not result.abstained:
            result.abstained = True
            result.text = SOURCES_DONT_SAY
        timings["verify_ms"] = (time.perf_counter() - t) * 1000
        timings["total_ms"] = (time.perf_counter() - started) * 1000
        result.question = question
        if standalone != question:
            result.standalone_question = standalone
        result.read_first = retrieved.read_first
        result.timings = {key: round(value, 2) for key, value in timings.items()}
        return result

    def retrieve(
        self,
        question: str,
        *,
        k: int | None = None,
        sources: Sequence[str] | None = None,
        since: dt.date | None = None,
        until: dt.date | None = None,
        today: dt.date | None = None,
    ) -> list[Passage]:
        """The passages `ask` would read for a standalone question, best first, without answering."""
        question = check_question(question, self.settings.answer.max_question_chars)
        if sources:
            self._check_sources(sources)
        return self._retrieve(question, k, Filters(tuple(sources or ()), since, until), today).passages

    def read(self, question: str, *, k: int | None = None, accurate: bool = False) -> list[Reading]:
        """What the reader makes of each passage `ask` would read, most probable first, without
        composing an answer: the evidence `talentqa calibrate` fits the abstention threshold on."""
        question = check_question(question, self.settings.answer.max_question_chars)
        answerer = self.accurate_answerer() if accurate else self.extractive
        retrieved = self._retrieve(question, k, Filters())
        return answerer.read(question, retrieved.passages, read_first=retrieved.read_first)

    def _retrieve(
        self, question: str, k: int | None, filters: Filters, today: dt.date | None = None
    ) -> Retrieved:
        # A question's own dates count only where the asker set no dates of their own.
        dates = None
        if filters.since is None and filters.until is None:
            dates = question_dates(question, today or dt.date.today())
        retrieved = self.retriever.retrieve(question, k, filters, prefer=dates)
        if not retrieved.passages:
            self._check_not_empty()
        return retrieved

    def _check_sources(self, sources: Sequence[str]) -> None:
        """A filter on an id that is not stored matches no passage, so the answer would be "the sources
        don't say" about a document that is not there (a typo, a removed article): say that instead."""
        known = self.store.records(list(sources))
        missing = [doc_id for doc_id in sources if doc_id not in known]
        if missing:
            raise DocumentNotFoundError(f"no such document: {missing[0]} (see `talentqa sources list`)")

    def _check_not_empty(self) -> None:
        """An empty store would answer "the sources don't say" to everything, as if it had looked.
        Asked only when nothing was retrieved, so an answer costs no extra store call."""
        if self.store.count_documents() == 0:
            raise EmptyStoreError(
                f"nothing is ingested yet in the store {self.store.location}: {how_to_ingest()}"
            )

    def passage(self, doc_id: str, start: int, end: int) -> str:
        return paragraph_around(self.store.text(doc_id), start, end)

    # --- the corpus ------------------------------------------------------------------------------------

    def documents(self) -> list[DocumentInfo]:
        return self.store.documents_info()

    def documents_page(self, offset: int = 0, limit: int = 10) -> DocumentPage:
        wanted, total = self.catalog.page(offset, limit)
        # Read only this page's records; one removed since the catalog was built is left out.
        found = self.store.records(wanted)
        return DocumentPage(
            documents=[found[doc_id].info for doc_id in wanted if doc_id in found],
            offset=max(offset, 0),
            total=total,
            chunks=self.store.count_chunks(),
        )

    def document(self, doc_id: str) -> DocumentInfo:
        return self.store.document(doc_id)

    def document_text(self, doc_id: str) -> str:
        return self.store.text(doc_id)

    def find_documents(self, prefix: str, *, limit: int = 25) -> list[DocumentInfo]:
        wanted = self.catalog.find(prefix, limit)
        # Read only the matches; one removed since the catalog was built is left out.
        found = self.store.records(wanted)
        return [found[doc_id].info for doc_id in wanted if doc_id in found]

    def warm_up(self) -> None:
        """Load what the first question would otherwise wait for (the keyword index, the catalog, and
        with the accurate answerer configured its LLM: a missing runtime or model then stops a server
        front-end at start-up, not each question)."""
        self.keyword.current()
        self.catalog.find("", 1)
        if self.settings.answer.answerer == "accurate":
            self.accurate_answerer()

    def pending_model_build(self) -> Path | None:
        """Where the embedding model will be built on first use (a one-off wait worth announcing), or
        None when it is ready or needs no build."""
        # Tests hand in embedders without settings: nothing to build there.
        settings = getattr(self.embedder, "settings", None)
        if settings is None or not self.embedder.build_pending:
            return None
        from talentqa.embeddings.openvino import default_cache_dir

        return settings.cache_dir or default_cache_dir()

    def about(self) -> dict[str, Any]:
        return {
            "version": __version__,
            "documents": self.store.count_documents(),
            "chunks": self.store.count_chunks(),
            "model": self.embedder.name,
            "dimension": self.embedder.dimension,
            "mode": self.store.mode,
            "store": self.store.location,
            "size_bytes": self.store.size_on_disk(),
            "answerer": self.settings.answer.answerer,
        }

    def ingest_sources(
        self,
        sources: Sequence[str],
        *,
        glob: str | None = None,
        since: dt.date | None = None,
        progress: ProgressCallback | None = None,
    ) -> IngestReport:
        with self._write_lock:
            ingestor = Ingestor(self.store, self.embedder, self.settings, progress)
            return ingestor.run(iter_sources(list(sources), self.settings, glob, since))

    def remove(self, doc_id: str) -> None:
        with self._write_lock:
            self.store.remove(doc_id)

    @classmethod
    def reindex(
        cls,
        settings: Settings,
        *,
        embedder: Embedder | None = None,
        progress: ProgressCallback | None = None,
        create: bool = True,
    ) -> IngestReport:
        """Rebuild every chunk and vector from the stored article texts with the configured model.

        Article records (and their texts) are never deleted, and the old vectors go only once the run's
        marker is in the store: if the reindex is interrupted (even by `kill -9`), the next ingest or
        reindex restores every article's chunks.
        """
        embedder = embedder or Embedder(settings.embedding)
        store = Store.open(
            settings,
            model_name=embedder.name,
            dimension=embedder.dimension,
            check_model=False,
            create=create,
        )
        try:
            return Ingestor(store, embedder, settings, progress, force=True).reindex()
        finally:
            store.close()
