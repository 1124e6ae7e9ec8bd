"""Rich rendering of an `Answer` for the terminal (CLI and REPL share it)."""

from __future__ import annotations

from rich.console import Group, RenderableType
from rich.panel import Panel
from rich.style import Style
from rich.text import Text

from talentqa.answer.texts import read_first_note
from talentqa.models import TRANSLATION_LABEL, Answer, Citation


def _citation_block(citation: Citation, label: str) -> RenderableType:
    head = Text()
    head.append(f"{label} ", style="bold cyan")
    head.append(citation.title or citation.doc_id, style="bold")
    if citation.outlet:
        head.append(f"  {citation.outlet}", style="italic")
    if citation.published:
        head.append(f"  {citation.published.isoformat()}", style="dim")
    lines: list[RenderableType] = [head, Text(f"   \u201c{citation.quote}\u201d", style="italic")]
    if citation.translation:
        # The model's words, not the source's: labelled, never in quotation marks or in the quote's italics.
        rendering = Text("   ")
        rendering.append(f"{TRANSLATION_LABEL}: ", style="dim")
        rendering.append(citation.translation)
        lines.append(rendering)
    link = citation.link or citation.url
    if link:
        # Built as styled text, never parsed as markup: a URL with "[0]" in it is just text.
        line = Text("   ")
        line.append(link, style=Style(color="blue", link=link))
        lines.append(line)
    else:
        lines.append(Text(f"   {citation.doc_id}  [{citation.start}:{citation.end}]", style="dim"))
    return Group(*lines)


def render_answer(answer: Answer, *, show_timings: bool = False) -> RenderableType:
    parts: list[RenderableType] = []
    if answer.standalone_question:
        parts.append(Text(f"(understood as: {answer.standalone_question})", style="dim"))
    if answer.read_first:
        parts.append(Text(f"({read_first_note(answer.read_first)})", style="dim"))
    if answer.abstained:
        parts.append(Text(answer.text, style="bold yellow"))
        if answer.related:
            parts.append(Text("\nRelated passages (not an answer):", style="dim"))
            parts.extend(_citation_block(c, f"~{c.n}") for c in answer.related)
    else:
        parts.append(Text(answer.text))
        parts.append(Text(""))
        parts.extend(_citation_block(c, f"[{c.n}]") for c in answer.citations)
    if show_timings and answer.timings:
        total = answer.timings.get("total_ms")
        parts.append(Text(f"\n{answer.answerer} answer in {total:.0f} ms" if total else "", style="dim"))
    title = "talentqa" if not answer.abstained else "talentqa: no answer in the sources"
    return Panel(
        Group(*parts), title=title, title_align="left", border_style="yellow" if answer.abstained else "green"
    )
