"""Discord's hard limits on what a bot may send, in characters unless noted.

Discord rejects a whole request (HTTP 400) when one of these is exceeded, so every formatter checks
against them rather than trusting typical sizes. Source: the Discord developer documentation
("Embed Limits", "Create Message", "Component Reference").
"""

from __future__ import annotations

from typing import Final

MESSAGE_CONTENT: Final = 2000
EMBED_TITLE: Final = 256
EMBED_DESCRIPTION: Final = 4096
EMBED_FIELDS: Final = 25  # fields per embed (a count)
EMBED_FIELD_NAME: Final = 256
EMBED_FIELD_VALUE: Final = 1024
EMBED_FOOTER: Final = 2048
EMBED_AUTHOR: Final = 256
EMBED_TOTAL: Final = 6000  # all embeds of one message together
EMBEDS_PER_MESSAGE: Final = 10  # a count

COMPONENT_ROWS: Final = 5  # action rows per message (a count)
BUTTONS_PER_ROW: Final = 5  # a count
BUTTON_LABEL: Final = 80
CUSTOM_ID: Final = 100
SELECT_OPTIONS: Final = 25  # a count
SELECT_OPTION_LABEL: Final = 100
SELECT_OPTION_DESCRIPTION: Final = 100

AUTOCOMPLETE_CHOICES: Final = 25  # a count
CHOICE_NAME: Final = 100
CHOICE_VALUE: Final = 100
THREAD_NAME: Final = 100

INTERACTION_ACK_SECONDS: Final = 3.0  # an interaction not acknowledged within this fails for the user
INTERACTION_TOKEN_SECONDS: Final = 15 * 60  # follow-ups are refused after this
