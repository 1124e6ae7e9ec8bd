"""Discord's hard limits on what a bot may send, in characters unless noted.

Discord rejects a whole request (HTTP 400) when one of these is exceeded, so every formatter checks
against them rather than trusting typical sizes. Source: the Discord developer documentation
("Embed Limits", "Create Message", "Component Reference").
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

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


def violations(message: Mapping[str, Any]) -> list[str]:
    """What in a message payload (as sent to Discord, JSON-like) breaks a limit; empty when it fits."""
    problems: list[str] = []
    content = message.get("content")
    if isinstance(content, str) and len(content) > MESSAGE_CONTENT:
        problems.append(f"content has {len(content)} characters (limit {MESSAGE_CONTENT})")
    embeds = message.get("embeds") or []
    if not isinstance(embeds, list):
        return [*problems, "embeds is not a list"]
    if len(embeds) > EMBEDS_PER_MESSAGE:
        problems.append(f"{len(embeds)} embeds (limit {EMBEDS_PER_MESSAGE})")
    total = 0
    for i, embed in enumerate(embeds):
        checks: list[tuple[str, str, int]] = [
            ("title", str(embed.get("title") or ""), EMBED_TITLE),
            ("description", str(embed.get("description") or ""), EMBED_DESCRIPTION),
            ("footer", str((embed.get("footer") or {}).get("text") or ""), EMBED_FOOTER),
            ("author", str((embed.get("author") or {}).get("name") or ""), EMBED_AUTHOR),
        ]
        fields = embed.get("fields") or []
        if len(fields) > EMBED_FIELDS:
            problems.append(f"embed {i} has {len(fields)} fields (limit {EMBED_FIELDS})")
        for j, field in enumerate(fields):
            checks.append((f"field {j} name", str(field.get("name") or ""), EMBED_FIELD_NAME))
            checks.append((f"field {j} value", str(field.get("value") or ""), EMBED_FIELD_VALUE))
        for what, text, limit in checks:
            total += len(text)
            if len(text) > limit:
                problems.append(f"embed {i} {what} has {len(text)} characters (limit {limit})")
    if total > EMBED_TOTAL:
        problems.append(f"embeds have {total} characters together (limit {EMBED_TOTAL})")
    rows = message.get("components") or []
    if isinstance(rows, list):
        if len(rows) > COMPONENT_ROWS:
            problems.append(f"{len(rows)} component rows (limit {COMPONENT_ROWS})")
        for row in rows:
            children = row.get("components") or []
            if len(children) > BUTTONS_PER_ROW:
                problems.append(f"a row has {len(children)} components (limit {BUTTONS_PER_ROW})")
            for child in children:
                if len(str(child.get("custom_id") or "")) > CUSTOM_ID:
                    problems.append(f"custom_id {child.get('custom_id')!r} is too long")
                if len(str(child.get("label") or "")) > BUTTON_LABEL:
                    problems.append(f"label {child.get('label')!r} is too long")
    return problems
