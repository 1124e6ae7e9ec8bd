"""The exceptions talentqa raises.

The library raises these; only the CLI, REPL and bot turn them into user-facing text.

    TalentQAError
    ├── ConfigError              a setting is missing or invalid
    ├── LoadError                one input (file, URL, record) could not be read as an article
    │   ├── FetchError           a URL could not be fetched safely (network, limits, SSRF refusal)
    │   └── SkippedInput         an input not read on purpose (an image in a folder), or read in part
    ├── StoreError               the vector store could not be used
    │   ├── StoreLockedError     another process holds the embedded store
    │   ├── StoreMissingError    a command that only reads found no store at the path
    │   └── ModelMismatchError   the collection was built with another embedding model
    ├── EmptyStoreError          a question asked of a store that holds no articles yet
    ├── DocumentNotFoundError    no document with that id
    ├── QuestionError            the question is empty, too long or otherwise unusable
    └── AnswerError              the answerer failed (LLM unreachable, malformed output)
"""

from __future__ import annotations


class TalentQAError(Exception):
    """Base class of every error talentqa raises on purpose."""


class ConfigError(TalentQAError):
    """A setting is missing or invalid."""


class LoadError(TalentQAError):
    """One input could not be turned into an article; the rest of a batch goes on."""

    def __init__(self, source: str, reason: str) -> None:
        super().__init__(f"{source}: {reason}")
        self.source = source
        self.reason = reason


class FetchError(LoadError):
    """A URL was refused or could not be fetched within the limits."""


class SkippedInput(LoadError):
    """An input talentqa leaves out on purpose (a file type it does not read, an empty file found in a
    folder) or reads only in part (a feed longer than one ingest takes): a report line, not a failure.

    A LoadError, so code that knows nothing of skipping still reports it rather than losing it.
    """


class StoreError(TalentQAError):
    """The vector store could not be opened or used."""


class StoreLockedError(StoreError):
    """Another process holds the embedded store's exclusive lock."""


class StoreMissingError(StoreError):
    """No store exists where a command that only reads looked: it is never created there."""


class ModelMismatchError(StoreError):
    """The collection records a different embedding model than the one configured."""


class EmptyStoreError(TalentQAError):
    """The store holds no articles, so no question can be answered from it yet.

    Not a StoreError: the store works, and front-ends that say "try again later" for those would mislead.
    """


class DocumentNotFoundError(TalentQAError):
    """No document with the given id is stored."""


class QuestionError(TalentQAError):
    """The question cannot be asked (empty, whitespace-only, too long)."""


class AnswerError(TalentQAError):
    """The answerer failed: the LLM endpoint was unreachable or answered nonsense."""
