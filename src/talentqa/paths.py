"""Where talentqa keeps its data when nobody says: the one place that decides default folders.

The default embedded store is found the same way from any folder:

1. `TALENTQA_STORE` / `--store` when given (the settings see it before this module is asked);
2. the checkout's `vectorstore/` when the current folder is inside a talentqa checkout (a folder above it,
   or itself, holds a `pyproject.toml` naming the project `talentqa` and a `vectorstore/` folder);
3. otherwise the per-user `$XDG_DATA_HOME/talentqa/vectorstore` (`~/.local/share/talentqa/vectorstore`).

A path relative to the current folder would make `talentqa stats` run elsewhere look at (and once,
create) a different, empty store.
"""

from __future__ import annotations

import os
import tomllib
from pathlib import Path

PROJECT_NAME = "talentqa"
STORE_FOLDER = "vectorstore"
SAMPLE_INGEST = "talentqa ingest ingest/samples"


def _xdg_home(variable: str, fallback: str) -> Path:
    # The XDG spec ignores a relative value; an empty one would otherwise mean the current folder.
    value = os.environ.get(variable, "")
    if value and Path(value).is_absolute():
        return Path(value)
    return Path.home() / fallback


def user_data_dir() -> Path:
    """`$XDG_DATA_HOME/talentqa`, else `~/.local/share/talentqa`."""
    return _xdg_home("XDG_DATA_HOME", ".local/share") / PROJECT_NAME


def user_cache_dir() -> Path:
    """`$XDG_CACHE_HOME/talentqa`, else `~/.cache/talentqa`: things that can be rebuilt."""
    return _xdg_home("XDG_CACHE_HOME", ".cache") / PROJECT_NAME


def _is_talentqa_project(pyproject: Path) -> bool:
    try:
        with pyproject.open("rb") as handle:
            data = tomllib.load(handle)
    except (OSError, tomllib.TOMLDecodeError):
        return False
    project = data.get("project")
    return isinstance(project, dict) and project.get("name") == PROJECT_NAME


def checkout_root(start: Path | None = None) -> Path | None:
    """The talentqa checkout holding `start` (default: the current folder), or None.

    Only a checkout with its `vectorstore/` folder counts (the folder is in git): another project that
    happens to depend on talentqa, or an unpacked sdist, keeps using the per-user store."""
    try:
        here = (start or Path.cwd()).resolve()
    except OSError:  # the current folder was deleted under us
        return None
    for folder in (here, *here.parents):
        try:
            if (folder / STORE_FOLDER).is_dir() and _is_talentqa_project(folder / "pyproject.toml"):
                return folder
        except OSError:
            continue
    return None


def default_store(start: Path | None = None) -> Path:
    """The embedded store used when neither `--store` nor `TALENTQA_STORE` is given: always absolute."""
    root = checkout_root(start)
    if root is not None:
        return root / STORE_FOLDER
    return user_data_dir() / STORE_FOLDER


def how_to_ingest() -> str:
    """The hint every "nothing stored" message ends with."""
    return (
        "add articles with `talentqa ingest PATH...` (in the talentqa checkout, "
        f"`{SAMPLE_INGEST}` stores the sample articles)"
    )
