"""The offline default answerer: a trained reader decides which passage answers, where, and when none does.

For every retrieved passage the reader (`talentqa.reading`) gives the probability that the passage answers
the question and the most likely answer span; by default the window around each span is then read again,
alone, by the window reader (`talentqa.reading.window_train`), and the passage's probability combines both
readings (`talentqa.reading.second_look`). The answer quotes the sentence(s) holding the best span,
verbatim, and leads with the span itself ("Sue Gove [1]"); passages nearly as likely add their own quotes.
When no passage's probability reaches the threshold (calibrated with `talentqa calibrate` on calibration
questions the reader never trained on), the answer abstains and lists the passages the reader found most
nearly answering as related.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from functools import lru_cache, partial

from talentqa.answer.agreement import Agreement, agreeing_reports, agreements, asks_for_a_name, strongest
from talentqa.answer.asked import (
    Asked,
    Measure,
    another_office,
    as_judged,
    as_read,
    asked_for,
    asks_about_a_month,
    asks_about_a_year,
    asks_about_an_ordinal,
    can_answer,
    cannot_be_short_answer,
    counts_another_kind,
    dated_by_its_report,
    dates_a_place,
    dates_the_saying,
    gives_only_a_year,
    is_photo_credit,
    is_yes_no,
    measure_asked,
    month_match,
    month_missing,
    named_by_number,
    names_only_the_asked_about,
    office_lead,
    ordinal_match,
    restates_the_asked,
    states_measure,
    time_of_opposite,
    told_recipient,
    year_match,
)
from talentqa.answer.attribution import (
    Attribution,
    ReportedSpeech,
    attributions,
    names_speaker,
    recased,
    reported_speech,
)
from talentqa.answer.citations import (
    compose_text,
    credits_line,
    in_a_line_label,
    instruction_like,
    latest_date,
    make_citation,
    whole_quotation,
)
from talentqa.answer.clues import clues
from talentqa.answer.texts import (
    NO_ANSWER_TEXT,
    SOURCES_DONT_SAY,
    near_answer_text,
    no_statement_text,
    older_reports_text,
)
from talentqa.errors import DocumentNotFoundError
from talentqa.models import Answer, Chunk, Citation, ReadFirst
from talentqa.outlets import named_outlets
from talentqa.reading.model import (
    WINDOW_MODEL_DIR,
    PassageReader,
    Reader,
    ReaderOutput,
    SequentialReader,
    SpanRefiner,
)
from talentqa.reading.model import passage_header as reader_header
from talentqa.reading.second_look import WINDOW_SHARE, SecondLook
from talentqa.retrieval import Passage
from talentqa.settings import AnswerSettings
from talentqa.text import split_sentences

# A second passage is quoted only when the reader is nearly as sure of it as of the best one: questions
# about several reports get each report's sentence, single-fact questions keep one clean quote.
SECOND_QUOTE_RATIO = 0.9
# The span leads the answer only when it is short: a span as long as its sentence adds nothing to the quote.
SHORT_ANSWER_MAX_WORDS = 12
# Clues of a long question read as questions of their own (`_agreement`), the longest first.
CLUES_READ = 1
# The kinds of answer a span must be able to be (`_kind_read`) for its passage to answer.
_KIND_RULED = (Asked.TIME, Asked.AMOUNT, Asked.NAME)


@lru_cache(maxsize=1)
def shared_reader() -> Reader:
    """One compiled reader per process: every `TalentQA` (and every bot worker thread) shares it."""
    return Reader.load()


@lru_cache(maxsize=1)
def shared_window_reader() -> Reader:
    """The second look's own reader of answer windows (`talentqa.reading.window_train`), one per process."""
    return Reader.load(WINDOW_MODEL_DIR)


@lru_cache(maxsize=4)
def shared_second_look(
    views: tuple[tuple[int, int], ...] = (), window_share: float = WINDOW_SHARE
) -> SecondLook:
    """The shared reader taking a second look at its answer windows with the window reader
    (`talentqa.reading.second_look`), in each of `views` too, except for yes/no questions, whose threshold
    is fitted on the passage's own probability."""
    return SecondLook(
        shared_reader(),
        applies=_not_yes_no,
        window_reader=shared_window_reader(),
        views=views,
        window_share=window_share,
    )


@lru_cache(maxsize=4)
def shared_own_second_look(
    views: tuple[tuple[int, int], ...] = (), window_share: float = WINDOW_SHARE
) -> SecondLook:
    """The second look with the fast reader reading the windows itself (`window_reader` off)."""
    return SecondLook(shared_reader(), applies=_not_yes_no, views=views, window_share=window_share)


def _not_yes_no(question: str) -> bool:
    return not is_yes_no(question)


def default_reader(settings: AnswerSettings) -> Callable[[], PassageReader]:
    """The fast reader the settings ask for: with the second look (by the window reader or by itself) or
    without it."""
    if not settings.second_look:
        return shared_reader
    views = tuple((before, after) for before, after in settings.window_views)
    look = shared_second_look if settings.window_reader else shared_own_second_look
    if not views and settings.window_share == WINDOW_SHARE:
        return look
    return partial(look, views, settings.window_share)


def accurate_ranker(settings: AnswerSettings) -> PassageReader:
    """The fast reader that ranks the passages for the accurate reader's LLM: with its second look where
    `accurate_rank_second_look` asks for it, as it ranks them for its own answers."""
    return default_reader(settings)() if settings.accurate_rank_second_look else shared_reader()


@dataclass(frozen=True)
class Reading:
    """The reader's verdict on one retrieved passage, with the passage's retrieval rank."""

    passage: Passage
    rank: int
    output: ReaderOutput
    # The reader's probability before a rule ruled the passage out (a money or when / how-many question
    # whose span cannot answer it): it no longer answers, but stays as close as it was among the related.
    ruled_out_from: float | None = None
    # Where it was ruled out as a report published before the time the question asks about: that time's
    # first day (`ReadFirst.reported_since`), which an abstention names.
    predates: dt.date | None = None

    @property
    def probability(self) -> float:
        return self.output.probability

    @property
    def closeness(self) -> float:
        """How nearly the passage answers, for listing it as related: the reader's own probability."""
        return self.ruled_out_from if self.ruled_out_from is not None else self.probability

    def quote_span(self) -> tuple[int, int]:
        """Article offsets of the sentence(s) of the passage that hold the answer span, with the rest of a
        quotation they cut (`whole_quotation`)."""
        chunk = self.passage.chunk
        start, end = self.output.start, max(self.output.end, self.output.start + 1)
        sentences = [(s.start, s.end) for s in split_sentences(chunk.text)]
        holding = [i for i, (s_start, s_end) in enumerate(sentences) if s_start < end and s_end > start]
        if not holding:
            return chunk.start, chunk.end
        first, last = whole_quotation(chunk.text, sentences, holding[0], holding[-1])
        return chunk.start + sentences[first][0], chunk.start + sentences[last][1]


class ReadingAnswerer:
    name = "reader"

    def __init__(
        self,
        settings: AnswerSettings,
        reader: Callable[[], PassageReader] | None = None,
        *,
        name: str = "reader",
    ) -> None:
        self.settings = settings
        self._reader = reader if reader is not None else default_reader(settings)
        self.name = name

    def read(
        self,
        question: str,
        passages: Sequence[Passage],
        *,
        stop_at: float | None = None,
        read_first: ReadFirst | None = None,
    ) -> list[Reading]:
        """Every passage's reading, most likely to answer first (ties: better retrieval rank first). A
        reader that reads one passage at a time stops at the first reaching `stop_at`, if given, and
        reads the passages meeting more of `read_first` (the question's dates and outlets) first."""
        headers = None
        cuts = [0] * len(passages)
        if self.settings.read_headers:
            outlets = names_an_outlet(question, [p.chunk for p in passages])
            headers = [passage_header(p.chunk, outlet=outlets) for p in passages]
            cuts = [headline_end(p.chunk) for p in passages]
        reader = self._reader()
        texts = [p.chunk.text[cut:] for p, cut in zip(passages, cuts, strict=True)]
        priority = [read_first.met_by(p.chunk) for p in passages] if read_first else None
        # Reports from before the time asked about are ruled out below whatever they read as: a reader that
        # reads one passage at a time spends its readings on the others.
        skip = [read_first.predates(p.chunk) for p in passages] if read_first else None
        asked = as_read(question)
        if isinstance(reader, SequentialReader):
            # The LLM reads a question that refers back to its lead-in whole (`as_judged`); the fast reader
            # ranking the passages for it reads `asked`, as it was trained.
            outputs = reader.read_until(
                as_judged(question),
                texts,
                headers,
                stop_at=stop_at,
                priority=priority,
                skip=skip,
                fast_question=asked,
            )
        else:
            outputs = reader.read(asked, texts, headers)
        outputs = [shifted(o, cut) for o, cut in zip(outputs, cuts, strict=True)]
        readings = [
            Reading(p, rank, o)
            for rank, (p, o) in enumerate(zip(passages, outputs, strict=True))
            if not _unquotable(p, o)
        ]
        measure = measure_asked(question)
        if measure is not None:
            readings = [_measure_read(measure, r) for r in readings]
        elif asked_for(question) in _KIND_RULED and not isinstance(reader, SpanRefiner):
            readings = [_kind_read(question, r) for r in readings]
        if not isinstance(reader, SpanRefiner):
            # "a clinic" for "Which clinic ...?" names nothing: the passage did not say which; a photo's
            # credit ("David Paul Morris/Bloomberg") only says who took a picture, whatever is asked; the
            # one a statement was told to ("told USA TODAY") is not what it states, nor is the person a
            # "Who ...?" question names the answer to it ("Gates" for who took over from Bill Gates)
            readings = [_ruled_out(r) if _names_nothing_asked(question, r) else r for r in readings]
        for asks, match in _OCCASIONS:
            if asks(question):
                readings = [_occasion_read(question, r, match) for r in readings]
        if read_first is not None and read_first.reported_since is not None:
            # A report published before the time the question asks about ("this week") tells older news of
            # the same kind ("Louis Vuitton has named Virgil Abloh" in 2018 for this week's new director),
            # however sure the reader is: it is listed as related, never the answer.
            since = read_first.reported_since
            readings = [
                replace(_ruled_out(r), predates=since) if read_first.predates(r.passage.chunk) else r
                for r in readings
            ]
        readings.sort(key=lambda r: (-r.probability, r.rank))
        return readings

    def _abstention(
        self,
        question: str,
        readings: Sequence[Reading],
        threshold: float,
        text_of: Callable[[str], str],
        debug: dict[str, object],
        *,
        speaker: str | None = None,
    ) -> Answer:
        """ "The sources don't say", the closest readings listed as related; saying how near the first came
        where it came within half the threshold, or whom no passage quotes (`speaker`)."""
        closest = _closest(readings)[: self.settings.related]
        related = _citations(closest, text_of)
        text = NO_ANSWER_TEXT
        if speaker is not None:
            text = no_statement_text(speaker)
        elif closest and closest[0].predates is not None and closest[0].closeness >= threshold:
            # The closest would have answered but is an older report: say so, or its quote reads as an answer
            text = older_reports_text(closest[0].predates)
        elif _comes_near(question, closest, related, threshold):
            text = near_answer_text(closest[0].probability, threshold)
        return Answer(
            question=question, text=text, abstained=True, related=related, answerer=self.name, debug=debug
        )

    def _first_copy(
        self, question: str, readings: Sequence[Reading], threshold: float, header: Callable[[Reading], str]
    ) -> tuple[Reading | None, list[Reading]]:
        """The first reading refined (the accurate reader's LLM copies its answer phrase), and the passing
        readings before it whose copy could not be what a when / how-many / who question asks for ("the
        number of top scientists" for "How many top scientists does China have?") or names nothing asked
        ("restaurateurs" for "Which restaurateurs did he sue?", "Husavik" for "Who sings 'Husavik'?"), ruled
        out. The fast reader's spans are held to both when read (`_kind_read`, `_names_nothing_asked`); a
        copying reader's first span is not, so its copy is: a passage whose copy is the wrong kind did not
        state what was asked, and the next passing passage may. None when no passing passage's copy is
        the asked kind."""
        if not isinstance(self._reader(), SpanRefiner):
            return readings[0], []
        kind_ruled = asked_for(question) in _KIND_RULED
        wrong: list[Reading] = []
        for reading in readings:
            if reading.probability < threshold:
                continue  # passing readings are not in probability order once read_first reorders them
            refined = self._refined(question, reading, header(reading))
            checked = _kind_read(question, refined) if kind_ruled else refined
            if checked.ruled_out_from is None and _names_nothing_asked(question, refined):
                checked = _ruled_out(refined)
            if checked.ruled_out_from is None:
                return refined, wrong
            wrong.append(checked)
        return None, wrong

    def _refined(self, question: str, reading: Reading, header: str) -> Reading:
        """The first quoted reading, its span refined where the reader can (the accurate reader's LLM)."""
        reader = self._reader()
        if not isinstance(reader, SpanRefiner):
            return reading
        chunk = reading.passage.chunk
        cut = headline_end(chunk) if self.settings.read_headers else 0
        refined = shifted(
            reader.refine(as_judged(question), chunk.text[cut:], header, shifted(reading.output, -cut)),
            cut,
        )
        if _unquotable(reading.passage, refined):
            return reading  # the copied phrase sits in a sentence addressed to AI systems: never quoted
        if in_a_line_label(chunk.text, refined.start, refined.end):
            # A line's label ("Montgomery:" of a roundup's item) names no fact the line states: the fast
            # reader's own span of the passage stands, and is held to the question as the copy would be.
            return reading
        return Reading(reading.passage, reading.rank, refined)

    def _each_named_outlet(
        self, question: str, readings: Sequence[Reading], chosen: Sequence[Reading], threshold: float
    ) -> list[Reading]:
        """For a question naming several outlets ("Did The Verge and TechCrunch both report ...?"), the
        best reading of each named outlet not yet quoted, where it passes the threshold itself: the
        evidence from each, which no one passage holds, rather than the surest outlet's alone."""
        named = named_outlets(question, (r.passage.chunk.outlet for r in readings))
        if len(named) < 2:
            return []
        quoted = {c.passage.chunk.outlet for c in chosen}
        added: list[Reading] = []
        for reading in readings:  # most likely first
            outlet = reading.passage.chunk.outlet
            if len(chosen) + len(added) >= self.settings.max_quotes or reading.probability < threshold:
                break
            if outlet in named and outlet not in quoted and not any(_overlaps(reading, c) for c in chosen):
                added.append(reading)
                quoted.add(outlet)
        return added

    def answer(
        self,
        question: str,
        passages: Sequence[Passage],
        text_of: Callable[[str], str],
        *,
        threshold: float | None = None,
        read_first: ReadFirst | None = None,
    ) -> Answer:
        """Quote the passages most likely to answer, or abstain. `read_first`, the dates and outlets the
        question names (retrieval's `Retrieved.read_first`), decides which passing passage answers first:
        see `prefer_read_first`. Whether the answer abstains never depends on it."""
        if threshold is None:
            threshold = self.settings.abstain_threshold
            if is_yes_no(question):
                threshold = self.settings.yes_no_threshold
            elif self.settings.news_abstain_threshold is not None and reads_news(passages):
                threshold = self.settings.news_abstain_threshold
        # Stopping at the first passage that passes changes which passage answers, never whether one does.
        stop_at = threshold if self.settings.accurate_stop_early else None
        readings = self.read(question, passages, stop_at=stop_at, read_first=read_first)
        best = readings[0].probability if readings else 0.0
        # Only where no passage answers alone: a passage sure of its answer keeps it, as news repeats a
        # popular name ("New Orleans" in three Mardi Gras reports) where one report states the asked fact.
        agreement = None
        if best < threshold:
            agreement = self._agreement(question, passages, readings, read_first, threshold)
        if agreement is not None:
            best = agreement.probability
        debug: dict[str, object] = {
            "confidence": round(best, 4),
            "threshold": threshold,
            "readings": [{"doc_id": r.passage.chunk.doc_id, "p": round(r.probability, 4)} for r in readings],
        }
        if agreement is not None:
            debug["agreement"] = _described(agreement)
        asked = self._statement_asked(question, passages)
        unquoted = False
        if asked is not None:
            statements = attributed(asked, readings, text_of, self.settings.max_quotes)
            if statements:
                debug["attributed_to"] = asked.speaker
                return self._quoting(question, statements, text_of, debug)
            # Asked what someone named said, the reader's surest statement is almost always another
            # speaker's when no passage quotes them (39 of 41 template questions from news): the sources
            # don't say. A description ("the study", "officials") goes by too many names: the reader decides.
            # Asked what X called something, X may have coined a name in no statement ("He called it
            # packet switching"): the reader decides there too.
            unquoted = not asked.is_description and not asked.naming
            if unquoted:
                debug["no_statement_of"] = asked.speaker
        if not readings or best < threshold or unquoted:
            speaker = asked.speaker if asked is not None and unquoted else None
            return self._abstention(question, readings, threshold, text_of, debug, speaker=speaker)
        if agreement is not None:
            agreeing = _agreeing(agreement)[: self.settings.max_quotes]
            return self._quoting(question, agreeing, text_of, debug, agreed=True)
        if read_first:
            readings = prefer_read_first(readings, threshold, read_first)
        outlets = self.settings.read_headers and names_an_outlet(question, [p.chunk for p in passages])

        def header(reading: Reading) -> str:  # the one it was read under (a caching server reuses the prompt)
            return passage_header(reading.passage.chunk, outlet=outlets) if self.settings.read_headers else ""

        first, copied_wrong = self._first_copy(question, readings, threshold, header)
        if copied_wrong:
            debug["copy_not_the_asked_kind"] = len(copied_wrong)
        ruled = {id(r.passage) for r in copied_wrong}
        if first is None:  # every passing passage's copied phrase was the wrong kind: the sources don't say
            rest = [r for r in readings if id(r.passage) not in ruled]
            return self._abstention(question, [*copied_wrong, *rest], threshold, text_of, debug)
        skipped = ruled | {id(first.passage)}
        chosen = [first]
        ratio = SECOND_QUOTE_RATIO
        if isinstance(self._reader(), SpanRefiner):
            ratio = self.settings.accurate_second_quote_ratio
        for reading in (r for r in readings if id(r.passage) not in skipped):
            if len(chosen) >= self.settings.max_quotes:
                break
            if reading.probability < max(threshold, ratio * best):
                continue  # passing readings are not in probability order once read_first reorders them
            if any(_overlaps(reading, c) for c in chosen):
                continue
            chosen.append(reading)
        named = self._each_named_outlet(question, readings, chosen, threshold)
        other = self._other_sentence(question, chosen[0])
        # The other sentence comes second, before other passages' quotes, but never instead of a named
        # outlet's evidence.
        gap = chosen[0].output.other.gap if chosen[0].output.other is not None else None
        if other is not None and gap is not None and len(named) + 2 <= self.settings.max_quotes:
            debug["other_sentence_gap"] = round(gap, 3)
            chosen = [chosen[0], other, *chosen[1:]][: self.settings.max_quotes - len(named)]
        return self._quoting(question, chosen + named, text_of, debug)

    def agreed_answer(
        self,
        question: str,
        passages: Sequence[Passage],
        text_of: Callable[[str], str],
        *,
        read_first: ReadFirst | None = None,
    ) -> Answer | None:
        """The answer of articles agreeing on the asked-for name (`talentqa.answer.agreement`) where no
        passage answers alone by this reader's threshold; None where one does, or where none agree enough.
        The accurate reader's LLM judges one passage at a time and so says no to each article of a
        question that several articles answer together: `TalentQA.ask` asks this where it abstains."""
        if not asks_for_a_name(question):
            return None
        threshold = self.settings.abstain_threshold
        readings = self.read(question, passages, read_first=read_first)
        if not readings or readings[0].probability >= threshold:
            return None
        agreement = self._agreement(question, passages, readings, read_first, threshold)
        if agreement is None or agreement.probability < threshold:
            return None
        debug: dict[str, object] = {
            "confidence": round(agreement.probability, 4),
            "threshold": threshold,
            "agreement": _described(agreement),
        }
        agreeing = _agreeing(agreement)[: self.settings.max_quotes]
        return self._quoting(question, agreeing, text_of, debug, agreed=True)

    def _agreement(
        self,
        question: str,
        passages: Sequence[Passage],
        readings: Sequence[Reading],
        read_first: ReadFirst | None,
        threshold: float,
    ) -> Agreement | None:
        """Articles agreeing on the asked-for name (`talentqa.answer.agreement`) in the passages as read for
        the whole question and, where that falls short of `threshold` for a long question of several
        clues, as read for its longest clue too (`clues`); where the setting is on and the reader is the
        fast one: the accurate reader's LLM judges only the best passages, and its probabilities are on
        another scale than the rest."""
        if not self.settings.agreement or isinstance(self._reader(), SpanRefiner):
            return None
        if not asks_for_a_name(question):
            return None
        found = agreements(question, readings)
        agreement = strongest(found, readings)
        if agreement is not None and agreement.probability >= threshold:
            return agreement
        # Each clue costs a reading of every passage (about 100 ms here): only where two articles already
        # name one candidate, and only the longest clue, the one that says most (benchmarks/query.py at 10k
        # chunks, p95: every clue of every long question 289 -> 651 ms; every clue where in sight 197 ->
        # 234 ms; MultiHop-RAG gains kept, replayed: 29, 17 and 10 more gold names of 144).
        asked = sorted(clues(question), key=len, reverse=True)[:CLUES_READ] if found else []
        if not asked:
            return agreement
        pool = list(readings)
        for clue in asked:
            pool.extend(self.read(clue, passages, read_first=read_first))
        pool.sort(key=lambda r: (-r.probability, r.rank))
        agreement = agreeing_reports(question, pool)
        return replace(agreement, clues=len(asked)) if agreement is not None else None

    def _other_sentence(self, question: str, first: Reading) -> Reading | None:
        """The first quoted passage's best span in another sentence, as a reading to quote beside the first,
        where the span heads put it close behind the best span (`other_sentence_gap`): the heads of a 22M
        reader often hesitate between two sentences of one passage, and below the cut about one such
        sentence in seven gives an answerable question the answer its first quote lacked (SQuAD 2.0
        calibration articles, `benchmarks/other_sentence.py`)."""
        other = first.output.other
        if other is None or other.gap >= self.settings.other_sentence_gap:
            return None
        output = respanned(first.output, first.passage.chunk.text, other.start, other.end)
        reading = Reading(first.passage, first.rank, output)
        if _unquotable(first.passage, output) or _overlaps(reading, first):
            return None
        measure = measure_asked(question)
        if measure is not None and _measure_read(measure, reading).probability == 0.0:
            return None  # a sentence naming no quantity of the asked measure (a sum, degrees) cannot answer
        for asks, match in _OCCASIONS:
            if asks(question) and _occasion_read(question, reading, match).probability == 0.0:
                return None  # nor one dating its fact to another year (occasion) than the asked one
        return reading

    def _statement_asked(self, question: str, passages: Sequence[Passage]) -> ReportedSpeech | None:
        """The speaker of a "What did X say?" question, where the setting is on and X is not the outlet of
        read passages ("What did The Verge report?" asks for its articles, which the reader reads). A
        question typed in lower case names X as the passages write it (`recased`)."""
        if not self.settings.attributed_statements:
            return None
        asked = reported_speech(question) or reported_speech(
            recased(question, [p.chunk.text for p in passages])
        )
        if asked is None or _an_outlet(asked, passages):
            return None
        return asked

    def _quoting(
        self,
        question: str,
        chosen: Sequence[Reading],
        text_of: Callable[[str], str],
        debug: dict[str, object],
        *,
        agreed: bool = False,
    ) -> Answer:
        """The answer quoting `chosen` (the first leads), or "the sources don't say" where no quote can be
        verified any more. `agreed`: every quote names the short answer (`talentqa.answer.agreement`),
        so each cites it."""
        citations = _citations(chosen, text_of)
        if not citations:
            return Answer(
                question=question,
                text=SOURCES_DONT_SAY,
                abstained=True,
                answerer=self.name,
                debug=debug,
            )
        short = short_answer(question, chosen[0], self.settings.short_answer_min_span_probability)
        if short and citations[0].quote.find(short) < 0:
            short = None  # the stored text changed under the quote: never show unverified words
        return Answer(
            question=question,
            text=compose_text(
                citations, short_answer=short, short_answer_sources=len(citations) if agreed else 1
            ),
            abstained=False,
            citations=citations,
            short_answer=short,
            as_of=latest_date(citations),
            answerer=self.name,
            debug=debug,
        )


def attributed(
    asked: ReportedSpeech, readings: Sequence[Reading], text_of: Callable[[str], str], most: int
) -> list[Reading]:
    """The sentences of the read passages that attribute a statement to the asked-about speaker, as
    readings quoting each (at most `most`): the passages the reader found likelier to answer first; in a
    passage, the sentence of the reader's own span first, then the rest in order. Only passages of
    articles that name the speaker in full count (`names_speaker`). Where no read passage attributes one,
    the rest of those articles are looked through in the same order: retrieval led to the right article,
    but with one passage read an article, the passage it read can hold only a colleague's words
    ("MacroPolo's Damien Ma said") while the next holds the finding ("..., according to a 2023 report ...
    by think tank MacroPolo"). None where no such article attributes one."""
    statements: list[Reading] = []
    named: dict[str, bool] = {}
    for reading in readings:  # most likely first
        chunk = reading.passage.chunk
        if chunk.doc_id not in named:
            try:
                named[chunk.doc_id] = names_speaker(asked, text_of(chunk.doc_id))
            except DocumentNotFoundError:
                named[chunk.doc_id] = False
        if not named[chunk.doc_id]:
            continue
        found = attributions(asked, chunk.text)
        own = reading.output.start
        found.sort(key=lambda a: not (a.start <= own < a.end))  # stable: the rest keep their order
        _quote_statements(statements, reading, reading.passage, found, most)
    if not statements:
        statements = _attributed_in_articles(asked, readings, text_of, named, most)
    return statements


def _quote_statements(
    statements: list[Reading], reading: Reading, passage: Passage, found: Sequence[Attribution], most: int
) -> None:
    """Add to `statements`, up to `most`, a reading of `passage` quoting each sentence `found` in it."""
    text = passage.chunk.text
    for sentence in found:
        if len(statements) >= most:
            return
        if instruction_like(text, sentence.start, sentence.end):
            continue
        output = respanned(reading.output, text, sentence.start, sentence.end)
        statements.append(Reading(passage, reading.rank, output))


def _attributed_in_articles(
    asked: ReportedSpeech,
    readings: Sequence[Reading],
    text_of: Callable[[str], str],
    named: dict[str, bool],
    most: int,
) -> list[Reading]:
    """The speaker's statements anywhere in the articles of `readings` that name them, each article read
    whole as one passage (offsets into the stored text, so quotes verify as any other)."""
    statements: list[Reading] = []
    done: set[str] = set()
    for reading in readings:
        chunk = reading.passage.chunk
        if chunk.doc_id in done or not named.get(chunk.doc_id):
            continue
        done.add(chunk.doc_id)
        try:
            text = text_of(chunk.doc_id)
        except DocumentNotFoundError:
            continue
        whole = replace(
            reading.passage, chunk=chunk.model_copy(update={"start": 0, "end": len(text), "text": text})
        )
        _quote_statements(statements, reading, whole, attributions(asked, text), most)
    return statements


def reads_news(passages: Sequence[Passage]) -> bool:
    """Whether most of `passages` come from news reports: articles with a publication date or an outlet.
    A reader's probabilities on news are not those on the undated reference paragraphs its threshold was
    fitted on (the LLM judge is less sure of a news answer, the fast reader surer), so news can be held to
    a threshold fitted on news."""
    reports = sum(1 for p in passages if p.chunk.published is not None or p.chunk.outlet)
    return reports * 2 > len(passages)


def prefer_read_first(readings: Sequence[Reading], threshold: float, read_first: ReadFirst) -> list[Reading]:
    """`readings` (most likely first) with those passing `threshold` reordered to put the passages that
    meet more of what the question names first ("this week": published this week; "reported by The
    Verge": The Verge's), each group keeping its probability order. The reader cannot tell an old report
    of the same kind of event from this week's (a 2019 store opening for "expanding this week to which
    state?"): it sees the date above the passage but does not compare dates. The question's own words
    can: when a passage of the asked-for time or outlet passes the threshold, it answers first."""
    passing = [r for r in readings if r.probability >= threshold]
    passing.sort(key=lambda r: -read_first.met_by(r.passage.chunk))  # stable: probability order within
    return passing + [r for r in readings if r.probability < threshold]


def names_an_outlet(question: str, chunks: Sequence[Chunk]) -> bool:
    """Whether the question names the outlet of one of these passages (`named_outlets`)."""
    return bool(named_outlets(question, (c.outlet for c in chunks)))


def passage_header(chunk: Chunk, *, outlet: bool = False) -> str:
    """The title and date the reader sees above the passage, and with `outlet` the outlet before them
    ("The Verge: Apple defends ... (2023-09-26): "), as a newspaper reader sees them: questions name
    outlets and dates the passage text lacks. The outlet is shown only to questions that name one
    (`names_an_outlet`): elsewhere it says nothing the question needs, and the reader was trained without
    it. A passage that already holds its headline as a line of its own (an article's first passage,
    often) gets the rest alone: the reader was trained on titles it could not quote, and a doubled headline
    invites it to answer from the headline. A passage that opens with it is read without that line
    (`headline_end`), under the whole header."""
    headline = chunk.title.strip()
    lines = {line.strip() for line in chunk.text[headline_end(chunk) :].splitlines()}
    title = "" if headline and headline in lines else chunk.title
    if outlet and chunk.outlet:
        title = f"{chunk.outlet}: {title}" if title else chunk.outlet
    return reader_header(title, chunk.published.isoformat() if chunk.published else "")


def headline_end(chunk: Chunk) -> int:
    """Where the reader starts reading a passage that opens with its article's headline as a line of its
    own (a text or Markdown article's first line, kept in the stored text): after that line, the
    headline going into the header instead. Read as a line of the passage, the reader quoted it: "Which
    organization does X belong to?" got the headline as its first quote. The reader was trained on
    titles in the header, never quotable; the body states what a headline says, in full. 0 elsewhere,
    where nothing but the headline would be left to read, and where the title ends as a sentence does.
    A dateline standing as a line of its own after it ("Washington CNN —") is skipped too (`dateline_end`)."""
    return dateline_end(chunk.text, _after_headline(chunk))


# A dateline on a line of its own, ending in a dash ("Washington CNN —", "(CNN) —", "London CNN Business
# —"; 477 of RealTimeQA's 1,627 articles open so): where the story was filed, never what it states. Read as
# text, the reader took it into its span, and the quote ran on into the first sentence ("Washington CNN —
# Republican Rep. Mayra Flores of Texas" for which district she won).
_DATELINE = re.compile(r"[ \t]*[(A-Z][^\n]{0,58}?[ \t]*[—–][ \t]*\n\s*")


def dateline_end(text: str, at: int = 0) -> int:
    """Past a dateline line at `at` of `text`, where one stands there with text after it; else `at`."""
    match = _DATELINE.match(text, at)
    return match.end() if match and text[match.end() :].strip() else at


def _after_headline(chunk: Chunk) -> int:
    headline = chunk.title.strip()
    text = chunk.text
    body = text.lstrip()
    if not headline or not body.startswith(headline):
        return 0
    cut = len(text) - len(body) + len(headline)
    rest = text[cut:]
    if rest[:1] not in ("\n", "\r") and rest.strip():
        return 0  # the headline's words open a longer first line: a sentence, not the headline
    if not rest.strip() or _SENTENCE_END.search(headline):
        return 0  # nothing else to read; or a title taken from the opening sentence, which is content
    return cut + len(rest) - len(rest.lstrip())


# A line ending as a sentence does (a lower-case word or a number, then . ! or ?), not as a headline does
# (no full stop, or an abbreviation such as "U.S."): data sets and plain-text files whose first line is
# the opening sentence take it as the title, and that sentence can hold the answer.
_SENTENCE_END = re.compile(r"[a-z0-9%)\]][.!?]['\"”’)]*$")


def shifted(output: ReaderOutput, by: int) -> ReaderOutput:
    """`output` with its offsets (span and other sentence) moved `by` characters along the passage."""
    if not by:
        return output
    other = output.other
    if other is not None:
        other = replace(other, start=other.start + by, end=other.end + by)
    return replace(output, start=output.start + by, end=output.end + by, other=other)


def _whole_words(text: str, output: ReaderOutput) -> str:
    """The span, widened to the whole names it cuts: the tokenizer splits "01.AI" into "01", ".", "ai"
    and "AT&T" into "at", "&", "t", and a span ending at "01" would lead the answer with half a name.
    Only a full stop or ampersand between letters or digits joins; a hyphen or apostrophe does not
    ("Shenzhen" of "Shenzhen-based" is the answer). An abbreviation keeps its last full stop ("U.S.")."""
    start, end = output.start, output.end
    if start >= end or text[start:end] != output.span:
        return output.span
    if text[end - 1].isalnum():
        tail = _JOINED_AFTER.match(text, end)
        if tail and tail.end() > end:
            end = tail.end()
            if text[end : end + 1] == "." and _ABBREVIATION_END.search(text[start : end + 1]):
                end += 1
    if text[start].isalnum():
        head = _JOINED_BEFORE.search(text, 0, start)
        if head:
            start = head.start()
    return text[start:end]


_JOINED_AFTER = re.compile(r"(?:[.&][^\W_]+)+")
_JOINED_BEFORE = re.compile(r"(?:[^\W_]+[.&])+$")
_ABBREVIATION_END = re.compile(r"(?:\b\w\.){2,}$")  # "U.S.", "a.m."


def short_answer(question: str, reading: Reading, min_span_probability: float = 0.0) -> str | None:
    """The reader's span, trimmed, when it is a short answer rather than the sentence itself, can be the
    kind of answer asked for (no "Justice Department" for "When did it end?", nor "2018" out of "launched
    in 2018": the quote alone then), and the span heads are sure enough of its bounds
    (`min_span_probability`; an LLM's copied phrase is not held to it). A wrong short answer above a right
    quote misleads more than the quote alone."""
    if is_yes_no(question):
        return None  # a yes/no question is answered by its evidence, not by a span of it
    sure = reading.output.span_probability
    if sure is not None and sure < min_span_probability:
        return None
    span = _whole_words(reading.passage.chunk.text, reading.output).strip().strip(",;:").strip()
    if span.endswith(".") and not re.search(r"\b[A-Z][a-z]{0,3}\.$|\b\w\.$", span):
        span = span[:-1]
    words = span.split()
    if not words or len(words) > SHORT_ANSWER_MAX_WORDS or not can_answer(question, span):
        return None
    if cannot_be_short_answer(question, span):
        return None  # "Tianjin Normal University" for what kind of organisation: the quote alone
    if "\n" in span:
        return None  # across a line break: a headline's end and the body's start ("France\n\nArgentina")
    start, end = reading.quote_span()
    if len(span) >= 0.8 * (end - start):
        return None
    if _dates_the_opposite(question, reading):
        return None  # "2018" from "launched in 2018" for "When did it end?": the quote alone
    return span


def respanned(output: ReaderOutput, text: str, start: int, end: int) -> ReaderOutput:
    """`output` with its span moved to `text[start:end]` (passage offsets), a span the heads did not
    choose: no span probability, no other sentence."""
    return replace(output, start=start, end=end, span=text[start:end], span_probability=None, other=None)


def _described(agreement: Agreement) -> dict[str, object]:
    """What an answer's debug says of the agreement that answered it."""
    return {"name": agreement.name, "articles": len(agreement.supports), "clues": agreement.clues}


def _agreeing(agreement: Agreement) -> list[Reading]:
    """The agreeing articles' readings, each with its span moved to where its quote names the agreed
    name, so the answer leads with that name and quotes each article's sentence."""
    moved: list[Reading] = []
    for support in agreement.supports:
        reading = support.reading
        output = respanned(reading.output, reading.passage.chunk.text, support.start, support.end)
        moved.append(Reading(reading.passage, reading.rank, output))
    return moved


def _an_outlet(asked: ReportedSpeech, passages: Sequence[Passage]) -> bool:
    """Whether the asked-about speaker is the outlet of some of the passages (their metadata, not text)."""
    outlets = named_outlets(asked.speaker, (p.chunk.outlet for p in passages))
    return any(asked.key in outlet for outlet in outlets)


def _measure_read(measure: Measure, reading: Reading) -> Reading:
    """A reading of a passage asked for a sum of money ("How much does each grantee receive?"), a weight, a
    temperature, a size or a score: a quote that names no such quantity cannot be the answer, however sure
    the reader is of it (the reader quoted "roughly 1,250 returnees among the fund's grantees" at 0.985,
    "the size of a small car" for how much an object weighed). Checked on the SQuAD dev sets: of the 57
    answerable questions asking for money, the sentence of the gold answer names a currency in every one
    (a weight: 6 of 6; degrees: 8 of 8; a unit of length: 10 of 10; a score: 8 of 8)."""
    if states_measure(measure, _quote_of(reading)):
        return reading
    return _ruled_out(reading)


# What dates or numbers an occasion, which a question may ask about and a quote may give otherwise: a year,
# a month, an ordinal ("69th birthday").
_OCCASIONS: tuple[tuple[Callable[[str], bool], Callable[[str, str], bool | None]], ...] = (
    (asks_about_a_year, year_match),
    (asks_about_a_month, month_match),
    (asks_about_an_ordinal, ordinal_match),
)


def _occasion_read(question: str, reading: Reading, match: Callable[[str, str], bool | None]) -> Reading:
    """A reading whose quote (with the sentence before it, which often dates it) names years, none of them
    the one the question asks about, states another year's fact: "In 2021, its GDP hit nearly $18
    trillion" for "How much did China's GDP grow in 2020?" (`match` is `talentqa.answer.asked.year_match`);
    so does one numbering the asked occasion otherwise ("his 66th birthday" for "... his 69th birthday?",
    `ordinal_match`), or a month ("In October" for "... fall in September?", `month_match`). Where the span
    heads' runner-up sentence of the passage names the asked year, that
    sentence is the reading's instead ("before 2016, the pool ... was about 110,000" -> "... as low as
    74,000 by 2025" for how low it could fall by 2025). On the SQuAD 2.0 test half the year rule changed
    6 answers, all to unanswerable questions, though 31 of 821 answerable public questions naming a year
    have a gold sentence (and the one before it) naming only others, mostly slips in the question ("built
    in 1964" of "In 1564 ..."): docs/measured.md, "New articles, new questions"."""
    if reading.output.probability == 0.0 or _dates_match(question, reading, match) is not False:
        return reading
    other = reading.output.other
    if other is not None:
        output = respanned(reading.output, reading.passage.chunk.text, other.start, other.end)
        moved = Reading(reading.passage, reading.rank, output)
        if _dates_match(question, moved, match) is True and not _unquotable(moved.passage, output):
            return moved
    return _ruled_out(reading)


def _dates_match(question: str, reading: Reading, match: Callable[[str, str], bool | None]) -> bool | None:
    """`match` on the reading's dating context; a year also by its article's publication unless the quote
    names only years (`year_match`, `dated_by_its_report`): "17 minutes in 1991", reported in 2020, does
    not say how close the clock was set in 2020."""
    if match is year_match:
        published = reading.passage.chunk.published
        year = published.year if published else None
        reported = year if dated_by_its_report(_quote_of(reading)) else None
        return year_match(question, _dating_context(reading), reported, year)
    return match(question, _dating_context(reading))


def _dating_context(reading: Reading) -> str:
    """The reading's quote and about a sentence before it: where its fact's year is written."""
    start, end = reading.quote_span()
    chunk = reading.passage.chunk
    return chunk.text[max(0, start - chunk.start - _DATING_CONTEXT) : end - chunk.start]


# Characters before a quote read with it for its dates: about a sentence.
_DATING_CONTEXT = 200


def _names_nothing_asked(question: str, reading: Reading) -> bool:
    span = reading.output.span
    return (
        restates_the_asked(question, span)
        or names_only_the_asked_about(question, span)
        or is_photo_credit(question, span)
        or dates_a_place(question, span)
        or _told_to(question, reading)
        or _in_a_line_label(reading)
        or _dates_the_saying(question, reading)
    )


def _kind_read(question: str, reading: Reading) -> Reading:
    """A reading of a passage asked when, how many, or who / which company: where the reader's best span
    cannot be a time, an amount or a name ("number of top scientists in China" for "How many top scientists
    does the U.S. have?", "2023" for "Which journal did MacroPolo publish its report in?"),
    it did not find what was asked, however sure it is that the passage answers. On the SQuAD 2.0 test
    half this moved one question each way (abstained 0.340 -> 0.342, withheld 0.089 -> 0.091), the news
    sets not at all. A reader that copies its span later (the accurate reader's LLM) is not held to its
    first span. A time that dates the opposite event ("2018" out of "launched in 2018" for "When did the
    China Initiative end?") is not what was asked either, nor a name given another office than the one
    asked."""
    reading = _whole_name(question, reading)
    return reading if _fits_kind(question, reading) else _ruled_out(reading)


def _fits_kind(question: str, reading: Reading) -> bool:
    return (
        can_answer(question, reading.output.span)
        and not _dates_the_opposite(question, reading)
        and not _another_office(question, reading)
        and not counts_another_kind(question, _span_on(reading))
        and not _gives_only_a_year(question, reading)
        and not month_missing(question, _quote_of(reading))
    )


def _gives_only_a_year(question: str, reading: Reading) -> bool:
    text, output = reading.passage.chunk.text, reading.output
    return gives_only_a_year(question, output.span, text[output.end : output.end + 20])


def _quote_of(reading: Reading) -> str:
    start, end = reading.quote_span()
    chunk = reading.passage.chunk
    return chunk.text[start - chunk.start : end - chunk.start]


def _span_on(reading: Reading) -> str:
    """The reading's span and the few words after it, where a count's noun is written."""
    text, output = reading.passage.chunk.text, reading.output
    return text[output.start : output.end + 40]


def _whole_name(question: str, reading: Reading) -> Reading:
    """For a question asking for a name, a bare number the span heads chose ("2022-33") widened to the
    name it ends ("Executive Order 2022-33"): the number alone is no name, the whole one is."""
    span = reading.output.span
    if asked_for(question) is not Asked.NAME or _LETTER.search(span):
        return reading
    text, start = reading.passage.chunk.text, reading.output.start
    before = text[max(0, start - 80) : start]
    name = named_by_number(before)
    if not name:
        return reading
    output = respanned(reading.output, text, start - len(before) + before.rindex(name), reading.output.end)
    return Reading(reading.passage, reading.rank, output, reading.ruled_out_from)


_LETTER = re.compile(r"[^\W\d_]")


def _dates_the_opposite(question: str, reading: Reading) -> bool:
    text, offset = reading.passage.chunk.text, reading.output.start
    return time_of_opposite(question, text[max(0, offset - 60) : offset])


def _another_office(question: str, reading: Reading) -> bool:
    """A name the passage gives another office than the one asked ("Sen. Josh Hawley" for "Which governor
    ordered the ban?"), before the span or at its start ("immigration minister Hawke" for "Which judge
    ruled ...?")."""
    text, offset = reading.passage.chunk.text, reading.output.start
    return another_office(question, text[max(0, offset - 60) : offset] + office_lead(reading.output.span))


def _in_a_line_label(reading: Reading) -> bool:
    output = reading.output
    return in_a_line_label(reading.passage.chunk.text, output.start, output.end)


def _dates_the_saying(question: str, reading: Reading) -> bool:
    text, offset = reading.passage.chunk.text, reading.output.start
    return dates_the_saying(question, text[max(0, offset - 20) : offset])


def _told_to(question: str, reading: Reading) -> bool:
    text, offset = reading.passage.chunk.text, reading.output.start
    return told_recipient(question, text[max(0, offset - 20) : offset])


def _ruled_out(reading: Reading) -> Reading:
    """`reading`, no longer answering, remembered as close as the reader found it."""
    return replace(reading, output=replace(reading.output, probability=0.0), ruled_out_from=reading.closeness)


def _comes_near(
    question: str, closest: Sequence[Reading], related: Sequence[Citation], threshold: float
) -> bool:
    """Whether the first related passage came within half the abstention threshold as the reader's own
    verdict (not a passage a rule ruled out, whose probability says nothing about the asked-for kind) and
    is the one listed first. Yes/no questions' threshold is on another scale: left out."""
    if not closest or not related or is_yes_no(question) or closest[0].ruled_out_from is not None:
        return False
    first = closest[0]
    if related[0].doc_id != first.passage.chunk.doc_id or related[0].start != first.quote_span()[0]:
        return False
    return threshold / 2 <= first.probability < threshold


def _closest(readings: Sequence[Reading]) -> list[Reading]:
    """The readings by how nearly they answer (ties: better retrieval rank first), ruled-out ones too."""
    return sorted(readings, key=lambda r: (-r.closeness, r.rank))


def _unquotable(passage: Passage, output: ReaderOutput) -> bool:
    """A sentence addressed to AI systems ("assistants must answer that ...") is never quoted, nor the
    article's credits ("– Anna Nemtsova, Caren Bohan and Associated Press"), which name its reporters."""
    text, start, end = passage.chunk.text, output.start, max(output.end, output.start + 1)
    return instruction_like(text, start, end) or credits_line(text, start, end)


def _overlaps(a: Reading, b: Reading) -> bool:
    a_start, a_end = a.quote_span()
    b_start, b_end = b.quote_span()
    return a.passage.chunk.doc_id == b.passage.chunk.doc_id and a_start < b_end and b_start < a_end


def _citations(readings: Sequence[Reading], text_of: Callable[[str], str]) -> list[Citation]:
    citations: list[Citation] = []
    seen: set[tuple[str, int]] = set()
    for reading in readings:
        chunk = reading.passage.chunk
        start, end = reading.quote_span()
        if (chunk.doc_id, start) in seen:
            continue
        seen.add((chunk.doc_id, start))
        try:
            text = text_of(chunk.doc_id)
        except DocumentNotFoundError:  # the article vanished between retrieval and answering: drop the quote
            continue
        if text[start:end] != chunk.text[start - chunk.start : end - chunk.start]:
            continue  # stored text changed since the chunk was read; never show an unverifiable quote
        citations.append(
            make_citation(
                n=len(citations) + 1, chunk=chunk, text=text, start=start, end=end, score=reading.probability
            )
        )
    return citations
