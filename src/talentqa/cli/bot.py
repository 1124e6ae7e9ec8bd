"""`talentqa bot`: run the Discord bot."""

from __future__ import annotations

from typing import Annotated

import typer

from talentqa.cli.common import ChromaOpt, StoreOpt, _open_app, err, friendly_errors, make_settings


def register(app: typer.Typer) -> None:
    @app.command()
    def bot(
        sync_guild: Annotated[
            int | None,
            typer.Option("--sync-guild", help="Sync slash commands to this guild id now (development)."),
        ] = None,
        sync_global: Annotated[
            bool,
            typer.Option("--sync-global", help="Sync slash commands globally now (takes up to an hour)."),
        ] = False,
        store: StoreOpt = None,
        chroma_url: ChromaOpt = None,
    ) -> None:
        """Run the Discord bot (token from TALENTQA_DISCORD_TOKEN; see bot/README.md).

        Commands are synced only when asked with --sync-guild or --sync-global, never on every start.
        The store, model and keyword index load once here and serve every question.
        """
        from talentqa.bot import resolve_token, run_bot

        settings = make_settings(store, chroma_url)
        with friendly_errors():
            resolve_token(settings)  # fail fast on a missing token, before loading the model
            qa = _open_app(settings, create=False)  # a bot on a store nobody filled answers nothing
            qa.warm_up()  # build or load the keyword index before the first question
            about = qa.about()
            err.print(f"talentqa bot starting on {about['store']} ({about['mode']} mode)", highlight=False)
            run_bot(settings, qa, sync_guild=sync_guild, sync_global=sync_global)
