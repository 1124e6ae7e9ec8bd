"""`talentqa eval` (run an eval set, export the feedback log) and `talentqa calibrate`.

`talentqa eval DATASET ...` is short for `talentqa eval run DATASET ...`: the group runs `run` when its
first argument is not one of its subcommands.
"""

from __future__ import annotations

import json
import tempfile
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Literal

import typer
from typer._click.core import Context
from typer.core import TyperGroup

from talentqa.eval.evaluation import METRIC_KEYS, Split
from talentqa.eval.journal import R
from talentqa.models import AnswererName

if TYPE_CHECKING:
    from talentqa.app import TalentQA
    from talentqa.eval.calibration import CalibrationResult
    from talentqa.eval.evaluation import Dataset, EvalQuestion, EvalReport
    from talentqa.eval.journal import EvalJournal, JournalHeader
    from talentqa.eval.short_answers import ShortAnswerFit
    from talentqa.settings import Settings


class _RunByDefault(TyperGroup):
    """A group whose first argument, when it is no subcommand, goes to `run`.

    `Context` is private (typer._click, vendored click, from typer 0.26: the floor in pyproject.toml), but
    no public name types the context a group parses with: typer.Context is a subclass of it.
    """

    def parse_args(self, ctx: Context, args: list[str]) -> list[str]:
        if args and args[0] not in self.commands and args[0] not in {"--help", "-h"}:
            args = ["run", *args]
        return super().parse_args(ctx, args)


eval_app = typer.Typer(
    cls=_RunByDefault,
    help="Measure retrieval, quotes and abstention on an eval set; export the bot's feedback.\n\n"
    "`talentqa eval DATASET_DIR` is short for `talentqa eval run DATASET_DIR`.",
    no_args_is_help=True,
)

DatasetArg = Annotated[
    Path,
    typer.Argument(
        metavar="DATASET",
        help="A folder with documents.jsonl + questions.jsonl, or a questions .jsonl file (give --docs).",
        show_default=False,
    ),
]
LimitOpt = Annotated[
    int | None, typer.Option("--limit", min=1, help="Ask a seeded random sample of this many questions.")
]
SeedOpt = Annotated[int, typer.Option("--seed", help="Seed of the --limit sample.")]
StoreOpt = Annotated[
    Path | None,
    typer.Option(
        "--store", help="Reuse (and fill) this store instead of a fresh temporary one.", show_default=False
    ),
]
DocsOpt = Annotated[
    list[Path] | None,
    typer.Option("--docs", help="Documents to ingest (files or folders; repeatable).", show_default=False),
]
DistractorsOpt = Annotated[
    list[Path] | None,
    typer.Option(
        "--distractors", help="More documents to ingest as distractors (repeatable).", show_default=False
    ),
]


def _console_progress(description: str, quiet: bool) -> Any:
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from talentqa.cli.common import err

    return Progress(
        TextColumn(f"[bold]{description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=err,
        transient=True,
        disable=quiet or not err.is_terminal,
    )


@contextmanager
def _progress(description: str, quiet: bool) -> Iterator[Callable[[int, int], None]]:
    """A callback (done, total) drawing a bar on stderr, or a line per tenth when stderr is a log file."""
    from talentqa.cli.common import err

    with _console_progress(description, quiet) as bar:
        task = bar.add_task(description, total=None)
        to_log = not quiet and not err.is_terminal

        def update(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)
            if to_log and (done == total or done % max(1, total // 10) == 0):
                err.print(f"{description}: {done}/{total}", highlight=False)

        yield update


@contextmanager
def _opened(settings: Settings, dataset: Dataset, quiet: bool) -> Iterator[TalentQA]:
    """TalentQA on `settings.store` with the dataset's documents ingested (unchanged ones are skipped)."""
    from talentqa.app import TalentQA
    from talentqa.cli.common import err

    qa = TalentQA.open(settings)
    try:
        with _console_progress("ingesting", quiet) as bar:
            articles = bar.add_task("articles", total=None)
            report = qa.ingest_sources(
                [str(p) for p in dataset.document_paths],
                progress=lambda kind, n: bar.advance(articles, n) if kind == "article" else None,
            )
        if report.failed:
            err.print(
                f"[yellow]warning:[/] {len(report.failed)} document(s) could not be ingested", highlight=False
            )
            for item in report.failed[:5]:
                err.print(f"  {item.source}: {item.reason}", highlight=False, markup=False)
        yield qa
    finally:
        qa.close()


@contextmanager
def _store_folder(store: Path | None) -> Iterator[Path]:
    if store is not None:
        yield store
        return
    with tempfile.TemporaryDirectory(prefix="talentqa-eval-") as folder:
        yield Path(folder) / "store"


def _questions(dataset: Dataset, split: Split, limit: int | None, seed: int) -> list[EvalQuestion]:
    from talentqa.errors import ConfigError
    from talentqa.eval.evaluation import sample_questions, split_questions

    questions = sample_questions(split_questions(dataset.questions, split), limit, seed)
    if not questions:
        raise ConfigError(f"no questions in the {split} split of {dataset.name}")
    return questions


@eval_app.command("run")
def run(
    dataset: DatasetArg,
    limit: LimitOpt = None,
    seed: SeedOpt = 0,
    split: Annotated[
        Literal["all", "calibration", "test"],
        typer.Option(
            "--split", help="First (calibration) or second (test) half of the articles by sorted id."
        ),
    ] = "all",
    answerer: Annotated[
        AnswererName | None,
        typer.Option("--answerer", help="Who answers (default from settings).", show_default=False),
    ] = None,
    baseline: Annotated[
        bool, typer.Option("--baseline", help="Also score the plain LangChain pipeline.")
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")] = False,
    out: Annotated[
        list[Path] | None,
        typer.Option(
            "--out",
            help="Write a report: HTML with plots, or JSON with every question (.json); repeatable.",
            show_default=False,
        ),
    ] = None,
    store: StoreOpt = None,
    docs: DocsOpt = None,
    distractors: DistractorsOpt = None,
    k: Annotated[
        int | None, typer.Option("--k", min=1, max=50, help="Passages per answer (default from settings).")
    ] = None,
    threshold: Annotated[
        float | None,
        typer.Option(
            "--threshold",
            min=0.0,
            max=1.0,
            help="Abstention threshold to try instead of the configured one (see `talentqa calibrate`).",
            show_default=False,
        ),
    ] = None,
    baseline_store: Annotated[
        Path | None,
        typer.Option(
            "--baseline-store",
            help="Reuse (and fill) this folder for the baseline's Chroma collection.",
            show_default=False,
        ),
    ] = None,
    journal: Annotated[
        Path | None,
        typer.Option(
            "--journal",
            help="Record each answered question in this JSONL file as it is scored; run the same command "
            "with the same file again to resume an interrupted run where it stopped.",
            show_default=False,
        ),
    ] = None,
) -> None:
    """Ingest an eval set, ask every (sampled) question as a user would, and report the figures."""
    from talentqa.cli.common import friendly_errors, make_settings
    from talentqa.cli.common import out as stdout
    from talentqa.eval.evaluation import (
        EvalReport,
        QuestionResult,
        load_articles,
        load_dataset,
        run_baseline,
        run_talentqa,
    )
    from talentqa.eval.journal import JournalHeader

    quiet = as_json
    with friendly_errors():
        data = load_dataset(dataset, docs or (), distractors or ())
        questions = _questions(data, split, limit, seed)
        with _store_folder(store) as folder:
            settings = make_settings(folder)
            mode = answerer or settings.answer.answerer
            thresholds = {
                "extractive": settings.answer.abstain_threshold,
                "accurate": settings.answer.accurate_threshold,
            }
            used_k, used_threshold = k or settings.retrieval.k, threshold or thresholds.get(mode)
            header = JournalHeader(
                dataset=str(data.questions_path.resolve()),
                split=split,
                limit=limit,
                seed=seed,
                answerer=mode,
                k=used_k,
                threshold=used_threshold,
            )
            with (
                _opened(settings, data, quiet) as qa,
                _journal(journal, data, questions, header, QuestionResult) as log,
            ):
                with _progress("asking", quiet) as tick:
                    runs = [
                        run_talentqa(
                            qa,
                            questions,
                            k=k,
                            answerer=answerer,
                            threshold=threshold,
                            progress=tick,
                            done=log.done if log else None,
                            record=log.record if log else None,
                        )
                    ]
                documents = int(qa.about()["documents"])
            if baseline:
                from talentqa.eval.baseline import LangChainBaseline

                articles = load_articles(data.document_paths, settings)
                with _progress("baseline: embedding chunks", quiet) as tick:
                    built = LangChainBaseline.build(
                        articles,
                        persist_directory=baseline_store,
                        model_name=settings.embedding.model,
                        progress=tick,
                    )
                try:
                    with _progress("baseline: asking", quiet) as tick:
                        runs.append(run_baseline(built, questions, progress=tick))
                finally:
                    built.close()
        report = EvalReport(
            dataset=data.name,
            split=split,
            limit=limit,
            seed=seed,
            answerer=mode,
            k=used_k,
            abstain_threshold=used_threshold,
            documents=documents,
            settings={
                "retrieval": settings.retrieval.model_dump(),
                # yes/no questions' own threshold; a --threshold replaces it for the fast reader, whose
                # scale it is on (the accurate setting leaves yes/no questions to the fast reader)
                "yes_no_threshold": threshold
                if threshold is not None and mode == "extractive"
                else settings.answer.yes_no_threshold,
            },
            runs=runs,
        )
        for path in out or ():
            _write_report(report, path)
    if as_json:
        stdout.print_json(json.dumps(report.to_json()))
    else:
        _print_table(report)
        for path in out or ():
            stdout.print(f"report written to {path}", highlight=False)


@contextmanager
def _journal(
    path: Path | None,
    data: Dataset,
    questions: Sequence[EvalQuestion],
    header: JournalHeader,
    record_type: type[R],
) -> Iterator[EvalJournal[R] | None]:
    """The run's journal at `path` (resumed where it records this same run), or None without one."""
    if path is None:
        yield None
        return
    from talentqa.cli.common import err
    from talentqa.errors import ConfigError
    from talentqa.eval.journal import EvalJournal

    if len({q.id for q in questions}) < len(questions):
        raise ConfigError(f"{data.name} repeats question ids, so a journal cannot tell its questions apart")
    with EvalJournal.open(path, header, record_type) as log:
        resumed = sum(q.id in log.done for q in questions)
        if resumed:
            # stderr, so a --json report on stdout stays clean
            err.print(f"resuming: {resumed} of {len(questions)} questions already in {path}", highlight=False)
        yield log


def _write_report(report: EvalReport, path: Path) -> None:
    from talentqa.errors import ConfigError

    if path.suffix.lower() == ".json":
        payload = report.to_json()
        payload["questions"] = {run.system: [r.model_dump() for r in run.results] for run in report.runs}
        text = json.dumps(payload, indent=1, default=str)
    else:
        from talentqa.eval.report import render_html

        text = render_html(report)
    try:
        path.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"cannot write {path}: {exc.strerror or exc}") from exc


def _print_table(report: EvalReport) -> None:
    from rich.table import Table

    from talentqa.cli.common import out

    figures = report.figures()
    first = report.runs[0].metrics
    out.print(
        f"[bold]{report.dataset}[/] ({report.split}): {first.questions} questions, {first.answerable} "
        f"answerable, {first.unanswerable} unanswerable; {report.documents:,} documents; k {report.k}",
        highlight=False,
    )
    table = Table()
    table.add_column("metric")
    for system in figures:
        table.add_column(system, justify="right")
    for key in METRIC_KEYS:
        values = [figures[s][key] for s in figures]
        table.add_row(
            key, *("-" if v is None else f"{v:,.0f}" if key.endswith("_ms") else f"{v:.3f}" for v in values)
        )
    out.print(table)


@eval_app.command("export-feedback")
def export_feedback(
    db: Annotated[
        Path | None,
        typer.Option(
            "--db", help="The bot's feedback log [default: settings bot.feedback_db].", show_default=False
        ),
    ] = None,
    out: Annotated[
        Path | None, typer.Option("--out", help="Write JSONL here instead of stdout.", show_default=False)
    ] = None,
) -> None:
    """Turn the bot's feedback log into eval-set JSONL (questions.jsonl schema) for review and reuse."""
    from talentqa.cli.common import err, friendly_errors, make_settings
    from talentqa.errors import ConfigError
    from talentqa.eval.evaluation import feedback_questions

    with friendly_errors():
        path = db or make_settings().bot.feedback_db
        if not path.exists():
            raise ConfigError(f"no feedback log at {path}")
        records = feedback_questions(path)
        lines = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records)
        if out is None:
            typer.echo(lines, nl=False)
        else:
            try:
                out.write_text(lines, encoding="utf-8")
            except OSError as exc:
                raise ConfigError(f"cannot write {out}: {exc.strerror or exc}") from exc
            err.print(f"{len(records)} question(s) written to {out}", highlight=False)


def calibrate(
    dataset: DatasetArg,
    split: Annotated[
        Literal["calibration", "all"],
        typer.Option("--split", help="Fit on this split; the test half is refused so it stays unseen."),
    ] = "calibration",
    limit: LimitOpt = None,
    seed: SeedOpt = 0,
    out: Annotated[
        Path | None,
        typer.Option("--out", help="Write the result as JSON.", show_default=False),
    ] = None,
    max_wrong: Annotated[
        float,
        typer.Option(
            "--max-wrong", min=0.0, max=1.0, help="Most answerable questions the threshold may withhold."
        ),
    ] = 0.15,
    store: StoreOpt = None,
    docs: DocsOpt = None,
    k: Annotated[
        int | None, typer.Option("--k", min=1, max=50, help="Passages per answer (default from settings).")
    ] = None,
    accurate: Annotated[
        bool,
        typer.Option("--accurate", help="Calibrate the accurate reader's threshold (the LLM's) instead."),
    ] = False,
    yes_no: Annotated[
        bool,
        typer.Option(
            "--yes-no",
            help="Calibrate the fast reader's threshold for yes/no questions instead: DATASET is a folder of "
            "SciFact-style claims (questions_train.jsonl with SUPPORT / CONTRADICT / NOT_ENOUGH_INFO labels, "
            "documents.jsonl), each asked as 'Is it true that ...?' of the abstract it cites.",
        ),
    ] = False,
    short_answers: Annotated[
        bool,
        typer.Option(
            "--short-answers",
            help="Fit TALENTQA_ANSWER__SHORT_ANSWER_MIN_SPAN_PROBABILITY instead: how sure the fast reader "
            "must be of its span's bounds before the span leads the answer. DATASET is SQuAD-style (each "
            "answerable question read with its own paragraph); the sureness where a span is as likely right "
            "(token F1 >= 0.5) as wrong.",
        ),
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")] = False,
    journal: Annotated[
        Path | None,
        typer.Option(
            "--journal",
            help="Record each question's reading in this JSONL file as it is read; run the same command with "
            "the same file again to resume an interrupted calibration where it stopped (the accurate reader "
            "takes seconds a question). Not for --yes-no or --short-answers, which read no store.",
            show_default=False,
        ),
    ] = None,
) -> None:
    """Calibrate the reader's abstention threshold on calibration questions it never trained on.

    Questions are retrieved and read as `talentqa ask` does; questions on articles the reader was trained
    on (its model card lists them) are left out. Set the result as TALENTQA_ANSWER__ABSTAIN_THRESHOLD
    (--accurate: TALENTQA_ANSWER__ACCURATE_THRESHOLD; fitted on news articles, which have a date or an
    outlet, the NEWS_ABSTAIN_THRESHOLD or ACCURATE_NEWS_THRESHOLD that news is held to), or try it first with
    `talentqa eval DATASET --split test --threshold T`. --yes-no and --short-answers fit the fast reader's
    other two settings instead (TALENTQA_ANSWER__YES_NO_THRESHOLD, and how sure it must be of a span
    before the span leads the answer: TALENTQA_ANSWER__SHORT_ANSWER_MIN_SPAN_PROBABILITY).
    """
    from talentqa.cli.common import friendly_errors, make_settings
    from talentqa.errors import ConfigError
    from talentqa.eval.calibration import QuestionReading, collect_readings, unseen
    from talentqa.eval.calibration import calibrate as fit
    from talentqa.eval.evaluation import load_dataset
    from talentqa.eval.journal import JournalHeader

    with friendly_errors():
        if journal is not None and (yes_no or short_answers):
            raise ConfigError("--journal records readings of the store: not for --yes-no or --short-answers")
        if yes_no and short_answers:
            raise ConfigError("--yes-no and --short-answers fit different settings: give one")
        if accurate and (yes_no or short_answers):
            flag = "--yes-no" if yes_no else "--short-answers"
            raise ConfigError(f"{flag} calibrates the fast reader; --accurate fits the LLM's one threshold")
        if yes_no:
            result = _calibrate_yes_no(dataset, max_wrong, as_json)
            _write_result(result, out)
            _show_calibration(result, out, as_json, "yes_no_threshold")
            return
        data = load_dataset(dataset, docs or ())
        questions, left_out = unseen(_questions(data, split, None, seed))
        if not questions:
            raise ConfigError(f"every {split} question of {data.name} is on an article the reader trained on")
        if limit is not None:
            from talentqa.eval.evaluation import sample_questions

            questions = sample_questions(questions, limit, seed)
        if short_answers:
            fitted = _calibrate_short_answers(data, questions, as_json)
            _write_result(fitted, out)
            _show_short_answers(fitted, out, as_json, left_out)
            return
        with _store_folder(store) as folder:
            settings = make_settings(folder)
            header = JournalHeader(
                kind="talentqa-calibration-journal",
                dataset=str(data.questions_path.resolve()),
                split=split,
                limit=limit,
                seed=seed,
                answerer="accurate" if accurate else "extractive",
                k=k or settings.retrieval.k,
                threshold=None,
            )
            with (
                _opened(settings, data, as_json) as qa,
                _journal(journal, data, questions, header, QuestionReading) as log,
                _progress("reading", as_json) as tick,
            ):
                readings = collect_readings(
                    qa,
                    questions,
                    k=k,
                    accurate=accurate,
                    progress=tick,
                    done=log.done if log else None,
                    record=log.record if log else None,
                )
        answer = settings.answer
        result = fit(
            readings,
            current_threshold=answer.accurate_threshold if accurate else answer.abstain_threshold,
            max_wrong=max_wrong,
            left_out_trained=left_out,
        )
        _write_result(result, out)
    _show_calibration(result, out, as_json, "abstain_threshold")


def _calibrate_yes_no(dataset: Path, max_wrong: float, quiet: bool) -> CalibrationResult:
    from talentqa.answer.reading import shared_reader
    from talentqa.cli.common import make_settings
    from talentqa.eval.calibration import calibrate as fit
    from talentqa.eval.yes_no import load_claims, read_claims

    answer = make_settings().answer
    pairs = load_claims(dataset)
    with _progress("reading", quiet) as tick:
        readings = read_claims(shared_reader(), pairs, progress=tick)
    return fit(readings, current_threshold=answer.yes_no_threshold, max_wrong=max_wrong)


def _calibrate_short_answers(data: Dataset, questions: list[EvalQuestion], quiet: bool) -> ShortAnswerFit:
    from talentqa.answer.reading import shared_reader
    from talentqa.cli.common import make_settings
    from talentqa.eval.short_answers import fit_short_answers, paragraphs, read_spans

    current = make_settings().answer.short_answer_min_span_probability
    with _progress("reading", quiet) as tick:
        readings = read_spans(shared_reader(), questions, paragraphs(data.document_paths), progress=tick)
    return fit_short_answers(readings, current_threshold=current)


def _show_short_answers(result: ShortAnswerFit, out: Path | None, as_json: bool, left_out: int) -> None:
    _show_fit(
        result,
        out,
        as_json,
        title=f"{result.questions} answerable questions read with their paragraphs ({result.right} spans "
        f"right; {left_out} questions on articles the reader trained on left out)",
        threshold=("short_answer_min_span_probability", result.short_answer_min_span_probability),
        keys=("shown", "right_of_shown"),
    )


def _write_result(result: CalibrationResult | ShortAnswerFit, out: Path | None) -> None:
    from talentqa.errors import ConfigError

    if out is not None:
        try:
            out.write_text(result.model_dump_json(indent=2) + "\n", encoding="utf-8")
        except OSError as exc:
            raise ConfigError(f"cannot write {out}: {exc.strerror or exc}") from exc


def _show_calibration(result: CalibrationResult, out: Path | None, as_json: bool, name: str) -> None:
    _show_fit(
        result,
        out,
        as_json,
        title=f"{result.questions} questions ({result.answerable} answerable; {result.left_out_trained} on "
        "articles the reader trained on left out)",
        threshold=(name, result.abstain_threshold),
        keys=("abstained_unanswerable", "wrongly_abstained", "top_quote_has_answer"),
    )


def _show_fit(
    result: CalibrationResult | ShortAnswerFit,
    out: Path | None,
    as_json: bool,
    *,
    title: str,
    threshold: tuple[str, float],
    keys: tuple[str, ...],
) -> None:
    """A fitted threshold beside the one in use, and what each does on the questions it was fitted on."""
    from talentqa.cli.common import out as stdout

    if as_json:
        stdout.print_json(result.model_dump_json())
        return
    from rich.table import Table

    auc = "-" if result.auc is None else f"{result.auc:.3f}"
    table = Table(title=f"{title}; AUC {auc}", title_justify="left")
    for column in ("figure", "current", "calibrated"):
        table.add_column(column, justify="left" if column == "figure" else "right")
    name, fitted = threshold
    table.add_row(name, f"{result.current_threshold:.4f}", f"{fitted:.4f}")
    for key in keys:
        values = [getattr(f, key) for f in (result.current, result.calibrated)]
        table.add_row(key, *("-" if v is None else f"{v:.3f}" for v in values))
    stdout.print(table)
    if out is not None:
        stdout.print(f"written to {out}", highlight=False)


def register(app: typer.Typer) -> None:
    app.add_typer(eval_app, name="eval")
    app.command("calibrate")(calibrate)
