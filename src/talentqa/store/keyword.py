"""The bm25s keyword index, kept in step with the chunk collection.

The index is saved beside the embedded store (or in a cache folder in server mode) together with the
collection `revision` it was built from. Any write replaces that revision, in this process or another, so
`KeywordIndex.current()` notices and rebuilds from the chunks stored in Chroma: Chroma stays the only
source of truth and the index can always be thrown away.
"""

from __future__ import annotations

import functools
import json
import logging
import shutil
import threading
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from talentqa.cjk import KEYWORD_TOKEN_PATTERN, keyword_text
from talentqa.stemming import english_stemmer
from talentqa.store.chroma import Store
from talentqa.store.name_pairs import JOINER, passage_name_terms, query_stopwords, question_name_terms
from talentqa.store.script import SCRIPT_KEY

logger = logging.getLogger(__name__)

_META = "talentqa-keyword.json"
# How texts become terms. An index saved with other terms (before Chinese was segmented, a Chinese clause
# was one term) cannot match this version's questions, so a different value means a rebuild.
TOKENIZER = "en-stem+zh-bigram-jieba/1;name-pairs/1"
# A question's name counts as a term of its own when passages print it at least twice as rarely as its
# rarer word: BM25's idf is about log(passages / passages printing the term), so log 2 apart.
_NAME_RARITY = float(np.log(2.0))
# The names' own BM25 index, in this folder of the saved index.
_NAMES = "names"


def _stemmer() -> Any:
    # One home for stemming (talentqa.stemming): this thread's stemmer, as PyStemmer's are not thread-safe.
    return english_stemmer()


def _tokenize(texts: list[str], stemmer: Any, *, stopwords: Any = "en") -> Any:
    """English words stemmed, English stopwords dropped (as bm25s does it), Chinese as bigrams and words."""
    import bm25s

    return bm25s.tokenize(
        [keyword_text(text) for text in texts],
        token_pattern=KEYWORD_TOKEN_PATTERN,
        stopwords=stopwords,
        stemmer=stemmer,
        show_progress=False,
    )


def _query_tokens(query: str, stemmer: Any) -> Any:
    """The query's terms as the passages' are made, less the words that only ask ("what", "did", "how"):
    bm25s keeps them as terms, and a chunk that repeats them (an interview's "What did he do?") outscored
    the one chunk naming the rare subject of "What did MacroPolo find?". Passages keep them (indexed
    unchanged), so no index is rebuilt."""
    return _tokenize([query], stemmer, stopwords=_query_stopword_list())


@functools.cache
def _query_stopword_list() -> list[str]:
    return sorted(query_stopwords())


def _name_tokens(texts: list[str]) -> Any:
    """Each text's multi-word names (`name_pairs`), already whole terms: nothing to stem or drop."""
    import bm25s

    return bm25s.tokenize(
        [" ".join(passage_name_terms(text)) for text in texts],
        token_pattern=r"\S+",
        lower=False,
        stopwords=None,
        stemmer=None,
        show_progress=False,
    )


class KeywordIndex:
    """BM25 over chunk texts; maps index rows back to chunk ids and their article ids."""

    def __init__(
        self,
        retriever: Any,
        ids: list[str],
        doc_ids: list[str],
        published: list[int],
        revision: str,
        idf: dict[str, float] | None = None,
        scripts: dict[str, int] | None = None,
        names: Any = None,
    ):
        self.retriever = retriever
        # BM25 over the passages' multi-word names alone, beside the words' index rather than in it: extra
        # terms in a passage would lengthen it, and BM25 would score every word of a name-rich passage
        # lower, for questions that name nothing too. None where no passage prints a name.
        self.names = names
        # Chunks per recorded script ("han": 121, "latin": 338); chunks stored before scripts were
        # recorded count under neither, so a store that predates them looks like one of no script.
        self.scripts: dict[str, int] = scripts or {}
        self.idf: dict[str, float] = idf or {}
        self.ids = ids
        self.doc_ids = np.asarray(doc_ids, dtype=object)
        self.published = np.asarray(published, dtype=np.int64)
        self.revision = revision

    @classmethod
    def build(cls, store: Store, revision: str) -> KeywordIndex:
        import bm25s

        ids: list[str] = []
        texts: list[str] = []
        doc_ids: list[str] = []
        published: list[int] = []
        scripts: Counter[str] = Counter()
        for chunk_id, text, meta in store.iter_chunks():
            ids.append(chunk_id)
            # Titles carry the words people search for; index them with the passage.
            texts.append(f"{meta.get('title', '')}\n{text}")
            doc_ids.append(str(meta.get("doc_id", "")))
            published.append(int(meta.get("published_ord", 0) or 0))
            if meta.get(SCRIPT_KEY):
                scripts[str(meta[SCRIPT_KEY])] += 1
        retriever = bm25s.BM25()
        names = None
        idf: dict[str, float] = {}
        if texts:
            tokens = _tokenize(texts, _stemmer())
            retriever.index(tokens, show_progress=False)
            idf = _idf(tokens, len(texts))
            name_tokens = _name_tokens(texts)
            if any(name_tokens.ids):
                names = bm25s.BM25()
                names.index(name_tokens, show_progress=False)
                idf.update(_idf(name_tokens, len(texts)))  # no clash: every name term ends in "_"
        return cls(retriever, ids, doc_ids, published, revision, idf, dict(scripts), names)

    def save(self, folder: Path) -> None:
        tmp = folder.with_name(folder.name + ".tmp")
        shutil.rmtree(tmp, ignore_errors=True)
        tmp.mkdir(parents=True)
        if self.ids:
            self.retriever.save(str(tmp), show_progress=False)
        if self.names is not None:
            self.names.save(str(tmp / _NAMES), show_progress=False)
        meta = {
            "revision": self.revision,
            "ids": self.ids,
            "doc_ids": self.doc_ids.tolist(),
            "published": self.published.tolist(),
            "idf": self.idf,
            "scripts": self.scripts,
            "tokenizer": TOKENIZER,
        }
        (tmp / _META).write_text(json.dumps(meta))
        # Replace atomically enough that a reader never sees half an index.
        old = folder.with_name(folder.name + ".old")
        shutil.rmtree(old, ignore_errors=True)
        if folder.exists():
            folder.rename(old)
        tmp.rename(folder)
        shutil.rmtree(old, ignore_errors=True)

    @classmethod
    def load(cls, folder: Path) -> KeywordIndex | None:
        import bm25s

        meta_path = folder / _META
        if not meta_path.exists():
            return None
        try:
            meta = json.loads(meta_path.read_text())
            if (
                not isinstance(meta, dict)
                or "idf" not in meta
                or "scripts" not in meta
                or meta.get("tokenizer") != TOKENIZER
            ):
                return None  # written by an older version; rebuild with today's terms, weights and scripts
            retriever = bm25s.BM25.load(str(folder), show_progress=False) if meta["ids"] else bm25s.BM25()
            names_folder = folder / _NAMES
            names = bm25s.BM25.load(str(names_folder), show_progress=False) if names_folder.exists() else None
        except (OSError, ValueError, KeyError, EOFError) as exc:
            logger.warning("keyword index at %s unreadable (%s); rebuilding", folder, exc)
            return None
        problem = _inconsistency(meta, retriever)
        if not problem and names is not None:
            problem = _inconsistency(meta, names)
        if problem:
            # Its revision may still match the store's, so without this check a damaged index would be
            # trusted, and every search would fail on a row that names no chunk.
            logger.warning("keyword index at %s is inconsistent (%s); rebuilding", folder, problem)
            return None
        return cls(
            retriever,
            meta["ids"],
            meta["doc_ids"],
            meta["published"],
            meta["revision"],
            meta.get("idf"),
            meta.get("scripts"),
            names,
        )

    def telling_names(self, question: str) -> list[str]:
        """The question's word pairs that name something more narrowly than their words do: those the
        passages print at least twice as rarely as the pair's rarer word. "China Initiative" is far rarer
        than "China" or "initiative"; "Richard Belzer" is about as rare as "Belzer", and counting the name
        twice would let it outweigh the rest of the question (which of his roles, which year)."""
        telling: list[str] = []
        for term in question_name_terms(question):
            pair = self.idf.get(term)
            if pair is None:
                continue  # no passage prints it
            first, second = term.split(JOINER)[:2]
            rarer = max(self.idf.get(first, 0.0), self.idf.get(second, 0.0))
            if pair - rarer >= _NAME_RARITY:
                telling.append(term)
        return telling

    def search(
        self,
        query: str,
        n: int,
        *,
        sources: Sequence[str] | None = None,
        since_ord: int | None = None,
        until_ord: int | None = None,
    ) -> list[tuple[str, float]]:
        """Chunk ids and BM25 scores, best first; filters applied before ranking."""
        if not self.ids or n <= 0:
            return []
        tokens = _query_tokens(query, _stemmer())
        names = self.telling_names(query) if self.names is not None else []
        if not tokens.vocab and not names:
            return []
        mask: np.ndarray[Any, Any] | None = None
        if sources or since_ord or until_ord:
            keep = np.ones(len(self.ids), dtype=bool)
            if sources:
                keep &= np.isin(self.doc_ids, list(sources))
            if since_ord:
                keep &= self.published >= since_ord
            if until_ord:
                keep &= self.published <= until_ord
            if not keep.any():
                return []
            mask = keep.astype(np.float32)
        k = min(n, len(self.ids))
        if names:
            rows, row_scores = self._with_names(tokens, names, k, mask)
        else:
            results, scores = self.retriever.retrieve(
                tokens, k=k, show_progress=False, weight_mask=mask, n_threads=1
            )
            rows, row_scores = results[0], scores[0]
        hits: list[tuple[str, float]] = []
        for row, score in zip(rows, row_scores, strict=True):
            if score <= 0:
                continue
            hits.append((self.ids[int(row)], float(score)))
        return hits

    def _with_names(
        self, tokens: Any, names: list[str], k: int, mask: np.ndarray[Any, Any] | None
    ) -> tuple[np.ndarray[Any, Any], np.ndarray[Any, Any]]:
        """The k best rows by the words' BM25 score plus the names', and their scores, best first."""
        by_id = {i: term for term, i in tokens.vocab.items()}
        words = [by_id[i] for i in tokens.ids[0]]
        scores = self.retriever.get_scores(words, weight_mask=mask) if words else np.zeros(len(self.ids))
        scores = scores + self.names.get_scores(names, weight_mask=mask)
        top = np.argpartition(-scores, k - 1)[:k] if k < len(scores) else np.arange(len(scores))
        top = top[np.lexsort((top, -scores[top]))]  # best first; ties to the earlier row
        return top, scores[top]


def _inconsistency(meta: Any, retriever: Any) -> str:
    """What makes a saved index unusable (ids that do not match its arrays or its BM25 rows); "" if
    nothing does."""
    if not isinstance(meta, dict):
        return "its description is not an object"
    ids, doc_ids, published = meta.get("ids"), meta.get("doc_ids"), meta.get("published")
    if not (isinstance(ids, list) and isinstance(doc_ids, list) and isinstance(published, list)):
        return "ids, doc_ids or published is not a list"
    if not isinstance(meta.get("revision"), str) or not isinstance(meta.get("idf"), dict):
        return "revision or idf is malformed"
    scripts = meta.get("scripts")
    if not isinstance(scripts, dict) or not all(isinstance(n, int) for n in scripts.values()):
        return "scripts is malformed"
    if len(doc_ids) != len(ids) or len(published) != len(ids):
        return f"{len(ids)} ids but {len(doc_ids)} article ids and {len(published)} dates"
    if not all(isinstance(chunk_id, str) for chunk_id in ids) or len(set(ids)) != len(ids):
        return "chunk ids are repeated or not text"
    if not all(isinstance(day, int) for day in published):
        return "a date is not a number"
    rows = (getattr(retriever, "scores", None) or {}).get("num_docs", 0) if ids else 0
    if int(rows) != len(ids):
        return f"{len(ids)} ids but {rows} indexed passages"
    return ""


def _idf(tokens: Any, n_docs: int) -> dict[str, float]:
    """BM25's idf per stemmed term: how much finding (or missing) that word says about a passage."""
    counts = np.zeros(len(tokens.vocab), dtype=np.int64)
    for row in tokens.ids:
        if row:
            counts[np.unique(np.asarray(row, dtype=np.int64))] += 1
    values = np.log((n_docs - counts + 0.5) / (counts + 0.5) + 1.0)
    return {term: round(float(values[i]), 4) for term, i in tokens.vocab.items() if term}


class KeywordIndexCache:
    """Hands out a current index, rebuilding (and persisting) it when the collection moved on."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.folder = store.keyword_dir()
        self._index: KeywordIndex | None = None
        self._lock = threading.Lock()

    def current(self) -> KeywordIndex:
        revision = self.store.revision()
        with self._lock:
            if self._index is not None and self._index.revision == revision:
                return self._index
            loaded = KeywordIndex.load(self.folder)
            if loaded is not None and loaded.revision == revision:
                self._index = loaded
                return loaded
            index = KeywordIndex.build(self.store, revision)
            try:
                index.save(self.folder)
            except OSError as exc:
                logger.warning("could not save keyword index to %s: %s", self.folder, exc)
            self._index = index
            return index
