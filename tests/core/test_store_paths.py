"""Which store a command uses, from any folder, and what a read command does where none exists
(issue 14): the checkout's `vectorstore/` inside the checkout, the per-user store elsewhere, an explicit
`TALENTQA_STORE` / `--store` over both; read commands never create a store, and an empty store says
that nothing is ingested yet instead of "the sources don't say"."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from prompt_toolkit import PromptSession
from prompt_toolkit.input import create_pipe_input
from prompt_toolkit.output import DummyOutput
from rich.console import Console
from typer.testing import CliRunner

import talentqa.app
from talentqa.app import TalentQA
from talentqa.cli import app
from talentqa.cli.repl import Repl
from talentqa.errors import EmptyStoreError, StoreMissingError
from talentqa.paths import checkout_root, default_store, user_cache_dir, user_data_dir
from talentqa.settings import Settings, load_settings
from talentqa.store import Store
from tests.conftest import FakeEmbedder


def _flat(text: str) -> str:
    # The CLI's error console wraps long paths at its own width, anywhere: compare without whitespace.
    return "".join(text.split())


def _checkout(root: Path, *, name: str = "talentqa", store_folder: bool = True) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    (root / "pyproject.toml").write_text(f'[project]\nname = "{name}"\nversion = "0"\n')
    if store_folder:
        (root / "vectorstore").mkdir()
        (root / "vectorstore" / "README.md").write_text("The default embedded store.\n")
    return root


@pytest.fixture()
def no_store_setting(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """No TALENTQA_STORE (the test suite sets one for every test) and a per-user data folder of the
    test's own: the folder the per-user store goes in."""
    monkeypatch.delenv("TALENTQA_STORE", raising=False)
    data = tmp_path / "xdg-data"
    monkeypatch.setenv("XDG_DATA_HOME", str(data))
    return data


# --- resolution -------------------------------------------------------------------------------------


def test_inside_the_checkout_every_folder_resolves_to_its_vectorstore(
    no_store_setting: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = _checkout(tmp_path / "talentqa")
    deep = root / "src" / "talentqa" / "ingest"
    deep.mkdir(parents=True)
    for folder in (root, deep, root / "vectorstore"):
        monkeypatch.chdir(folder)
        assert checkout_root() == root
        assert load_settings().store == root / "vectorstore"


def test_outside_a_checkout_the_store_is_the_per_user_one(
    no_store_setting: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    assert load_settings().store == no_store_setting / "talentqa" / "vectorstore"
    # No XDG_DATA_HOME, or a relative one (the XDG spec says to ignore it): ~/.local/share.
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    for value in (None, "relative/data", ""):
        if value is None:
            monkeypatch.delenv("XDG_DATA_HOME")
        else:
            monkeypatch.setenv("XDG_DATA_HOME", value)
        assert default_store() == tmp_path / "home" / ".local" / "share" / "talentqa" / "vectorstore"
    assert user_data_dir() == tmp_path / "home" / ".local" / "share" / "talentqa"


@pytest.mark.parametrize(
    "layout", ["another project", "a checkout without vectorstore/", "a broken pyproject.toml"]
)
def test_only_a_talentqa_checkout_with_its_store_folder_counts(
    layout: str, no_store_setting: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = tmp_path / "project"
    if layout == "another project":
        _checkout(root, name="talentqa-plugin")
    elif layout == "a checkout without vectorstore/":
        _checkout(root, store_folder=False)
    else:
        _checkout(root)
        (root / "pyproject.toml").write_text("[project\nname = talentqa")
    monkeypatch.chdir(root)
    assert checkout_root() is None
    assert load_settings().store == no_store_setting / "talentqa" / "vectorstore"


def test_an_explicit_store_wins_over_the_checkout(
    no_store_setting: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = _checkout(tmp_path / "talentqa")
    monkeypatch.chdir(root)
    monkeypatch.setenv("TALENTQA_STORE", str(tmp_path / "mine"))
    assert load_settings().store == tmp_path / "mine"
    assert Settings(store=tmp_path / "given").store == tmp_path / "given"


def test_the_cache_folder_follows_xdg_cache_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    assert user_cache_dir() == tmp_path / "cache" / "talentqa"
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setenv("XDG_CACHE_HOME", "")  # empty: not the current folder
    assert user_cache_dir() == tmp_path / "home" / ".cache" / "talentqa"


def test_the_store_option_explains_the_default() -> None:
    shown = " ".join(CliRunner().invoke(app, ["stats", "--help"], terminal_width=200).output.split())
    for needle in ("TALENTQA_STORE", "vectorstore/", "$XDG_DATA_HOME/talentqa/vectorstore", "never create"):
        assert needle in shown, shown


# --- read commands never create a store --------------------------------------------------------------

READ_COMMANDS = [
    ["stats"],
    ["sources", "list"],
    ["sources", "show", "a0"],
    ["sources", "remove", "a0"],
    ["ask", "Who hired forty engineers?"],
    ["reindex"],
    ["repl"],
]


@pytest.mark.parametrize("command", READ_COMMANDS, ids=lambda c: " ".join(c[:2]))
def test_a_read_command_from_another_folder_creates_nothing_and_says_how_to_ingest(
    command: list[str], no_store_setting: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    result = CliRunner().invoke(app, command, terminal_width=300)
    assert result.exit_code == 2, result.output
    message = _flat(result.output)
    expected = no_store_setting / "talentqa" / "vectorstore"
    assert _flat(f"no store exists at {expected}") in message, result.output
    assert "talentqaingest" in message and "Traceback" not in message
    assert list(elsewhere.iterdir()) == [], "nothing was made in the current folder"
    assert not no_store_setting.exists(), "nor in the per-user folder"


def test_the_checkouts_store_folder_before_any_ingest_is_no_store(
    no_store_setting: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = _checkout(tmp_path / "talentqa")
    monkeypatch.chdir(root)
    result = CliRunner().invoke(app, ["stats"], terminal_width=300)
    assert result.exit_code == 2
    assert _flat(f"no store exists at {root / 'vectorstore'}") in _flat(result.output)
    assert [p.name for p in (root / "vectorstore").iterdir()] == ["README.md"]


def test_the_library_refuses_to_create_a_store_when_asked_only_to_read(tmp_path: Path) -> None:
    with pytest.raises(StoreMissingError, match="no store exists at"):
        Store.open(Settings(store=tmp_path / "vs"), model_name="fake", dimension=4, create=False)
    assert not (tmp_path / "vs").exists()
    Store.open(Settings(store=tmp_path / "vs"), model_name="fake", dimension=4).close()
    with Store.open(Settings(store=tmp_path / "vs"), model_name="fake", dimension=4, create=False) as store:
        assert store.count_documents() == 0


def test_a_server_without_the_store_is_missing_for_a_read(chroma_server: str, tmp_path: Path) -> None:
    settings = Settings(chroma_url=chroma_server, collection="never-ingested", cache_dir=tmp_path / "c")
    with pytest.raises(StoreMissingError, match="holds no talentqa store named 'never-ingested'"):
        Store.open(settings, model_name="fake", dimension=4, create=False)
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    host, port = chroma_server.removeprefix("http://").split(":")
    client = chromadb.HttpClient(
        host=host, port=int(port), settings=ChromaSettings(anonymized_telemetry=False)
    )
    assert "never-ingested-chunks" not in {c.name for c in client.list_collections()}


# --- an empty store ---------------------------------------------------------------------------------


def _fake_model(monkeypatch: pytest.MonkeyPatch) -> None:
    # The CLI builds its embedder from the settings; a store of fake vectors needs the fake model.
    def fake(_settings: Any) -> FakeEmbedder:
        return FakeEmbedder()

    monkeypatch.setattr(talentqa.app, "Embedder", fake)


def test_asking_an_empty_store_says_nothing_is_ingested_yet(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _fake_model(monkeypatch)
    store = str(tmp_path / "vs")
    (tmp_path / "nothing").mkdir()
    made = CliRunner().invoke(app, ["ingest", str(tmp_path / "nothing"), "--store", store])
    assert made.exit_code == 0, made.output
    result = CliRunner().invoke(
        app, ["ask", "Who hired forty engineers?", "--store", store], terminal_width=300
    )
    message = _flat(result.output)
    assert result.exit_code == 2, result.output
    assert _flat(f"nothing is ingested yet in the store {tmp_path / 'vs'}") in message
    assert "talentqaingest" in message and "sourcesdon'tsay" not in message


def test_the_repl_on_an_empty_store_says_nothing_is_ingested_yet(tmp_path: Path) -> None:
    with TalentQA.open(Settings(store=tmp_path / "vs"), embedder=FakeEmbedder()) as qa:
        with pytest.raises(EmptyStoreError, match="nothing is ingested yet"):
            qa.ask("Who hired forty engineers?")
        console = Console(record=True, width=300)
        with create_pipe_input() as pipe:
            pipe.send_text("Who hired forty engineers?\n:quit\n")
            session: PromptSession[str] = PromptSession(input=pipe, output=DummyOutput())
            Repl(qa, console=console, session=session, history_file=tmp_path / "history").run()
    shown = " ".join(console.export_text().split())
    assert "nothing is ingested yet" in shown and "sources don't say" not in shown
