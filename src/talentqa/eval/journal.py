"""A resumable record of an eval or calibration run: each question's result is appended as it is answered.

A whole SQuAD half with the accurate reader takes hours on two cores; a run that is interrupted (a closed
laptop, a session limit, a crash) should lose the question it was on, not the hours before it. The journal
is JSONL: a header line naming the run (what kind of run, dataset, split, sample, answerer, k, threshold),
then one result per line (an eval's `QuestionResult`, a calibration's `QuestionReading`), flushed and synced
as it is written. Reopening it with the same header resumes; a different header is refused, so figures from
two different runs are never mixed.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import IO, Generic, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, ValidationError

from talentqa.errors import ConfigError
from talentqa.eval.evaluation import Split

# A journal line: one question's result, a pydantic model with the question's `id`.
R = TypeVar("R", bound=BaseModel)


class JournalHeader(BaseModel):
    """What decides a run's answers; two runs share a journal only where all of it matches."""

    model_config = ConfigDict(frozen=True)

    kind: Literal["talentqa-eval-journal", "talentqa-calibration-journal"] = "talentqa-eval-journal"
    dataset: str
    split: Split
    limit: int | None
    seed: int
    answerer: str
    k: int
    threshold: float | None


class EvalJournal(Generic[R]):
    """Appends results to `path`; `done` holds those a previous run of the same header recorded, by id."""

    def __init__(self, path: Path, header: JournalHeader, done: dict[str, R], handle: IO[str]):
        self.path = path
        self.header = header
        self.done = done
        self._handle = handle

    @classmethod
    def open(cls, path: Path, header: JournalHeader, record_type: type[R]) -> EvalJournal[R]:
        """Resume `path` if it records this run, start it if it is absent or empty; refuse another run's.

        Each line after the header is read as a `record_type` (which has an `id`). A last line cut off
        mid-write (the process was killed while writing it) is dropped: that question is asked again.
        """
        done: dict[str, R] = {}
        keep = 0
        try:
            raw = path.read_bytes() if path.exists() else b""
        except OSError as exc:
            raise ConfigError(f"cannot read journal {path}: {exc.strerror or exc}") from exc
        if raw.strip():
            lines = raw.split(b"\n")
            try:
                found = JournalHeader.model_validate(_parse(lines[0]))
            except (ValueError, ValidationError) as exc:
                raise ConfigError(f"{path} is not a talentqa journal; give another --journal path") from exc
            if found != header:
                raise ConfigError(
                    f"{path} records another run ({_difference(found, header)}); "
                    "give another --journal path or delete it"
                )
            keep = len(lines[0]) + 1
            for number, line in enumerate(lines[1:], start=2):
                if not line.strip():
                    keep += len(line) + 1
                    continue
                try:
                    result = record_type.model_validate(_parse(line))
                except (ValueError, ValidationError) as exc:
                    if number == len(lines):
                        break  # the torn last write of an interrupted run: no newline yet
                    raise ConfigError(f"{path}:{number}: not a recorded result ({exc})") from exc
                done[_id(result)] = result
                keep += len(line) + 1
        try:
            handle = path.open("r+" if path.exists() else "w", encoding="utf-8")
            handle.seek(0)
            if keep == 0:
                handle.truncate()
                handle.write(header.model_dump_json() + "\n")
            else:
                handle.truncate(min(keep, len(raw)))
                handle.seek(0, os.SEEK_END)
                if not raw[: min(keep, len(raw))].endswith(b"\n"):
                    handle.write("\n")
            handle.flush()
        except OSError as exc:
            raise ConfigError(f"cannot write journal {path}: {exc.strerror or exc}") from exc
        return cls(path, header, done, handle)

    def record(self, result: R) -> None:
        self._handle.write(result.model_dump_json() + "\n")
        self._handle.flush()
        os.fsync(self._handle.fileno())
        self.done[_id(result)] = result

    def close(self) -> None:
        self._handle.close()

    def __enter__(self) -> EvalJournal[R]:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _id(result: BaseModel) -> str:
    return str(result.model_dump(include={"id"})["id"])


def _parse(line: bytes) -> object:
    return json.loads(line.decode("utf-8"))


def _difference(found: JournalHeader, wanted: JournalHeader) -> str:
    old, new = found.model_dump(), wanted.model_dump()
    return ", ".join(f"{key} {old[key]!r}, not {new[key]!r}" for key in old if old[key] != new[key])
