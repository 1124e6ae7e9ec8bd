"""One extension per feature, each loaded by `TalentQABot.setup_hook`."""
