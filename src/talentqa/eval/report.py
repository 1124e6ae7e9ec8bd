"""A small self-contained HTML report of an evaluation: the figures, plots as embedded PNGs, the misses.

Plots are drawn with matplotlib's Agg backend (no display needed) and inlined as base64, so the file can
be mailed or attached to an issue as it is.
"""

from __future__ import annotations

import base64
import html
import io
import math
from typing import Any

from talentqa.eval.evaluation import METRIC_KEYS, EvalReport, QuestionResult, abstention_tradeoff

_CSS = """
body { font-family: system-ui, sans-serif; margin: 2rem auto; max-width: 60rem; color: #222; }
table { border-collapse: collapse; margin: 1rem 0; }
th, td { border: 1px solid #ccc; padding: .3rem .6rem; text-align: right; }
th:first-child, td:first-child { text-align: left; }
td.text { text-align: left; max-width: 40rem; }
img { max-width: 100%; }
.meta { color: #555; }
"""


def _figure_png(fig: Any) -> str:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=110, bbox_inches="tight")
    return base64.b64encode(buffer.getvalue()).decode("ascii")


def recall_plot(report: EvalReport) -> str | None:
    """recall@k for k = 1..10, one line per system; base64 PNG, or None without retrieval gold."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    runs = [run for run in report.runs if run.metrics.recall_curve]
    if not runs:
        return None
    fig, ax = plt.subplots(figsize=(6, 3.6))
    for run in runs:
        ax.plot(range(1, 11), run.metrics.recall_curve, marker="o", label=run.system)
    ax.set_xlabel("k (passages retrieved)")
    ax.set_ylabel("recall@k (gold document found)")
    ax.set_ylim(0, 1.02)
    ax.set_xticks(range(1, 11))
    ax.grid(alpha=0.3)
    ax.legend()
    try:
        return _figure_png(fig)
    finally:
        plt.close(fig)


def abstention_plot(results: list[QuestionResult], threshold: float | None) -> str | None:
    """Abstained-unanswerable and wrongly-abstained as the threshold moves; None without confidences."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    if not any(r.confidence is not None for r in results):
        return None
    curve = abstention_tradeoff(results)
    ts = [t for t, _, _ in curve]
    fig, ax = plt.subplots(figsize=(6, 3.6))
    unanswerable = [u for _, u, _ in curve]
    if not all(math.isnan(u) for u in unanswerable):
        ax.plot(ts, unanswerable, label="unanswerable abstained (higher is better)")
    wrong = [w for _, _, w in curve]
    if not all(math.isnan(w) for w in wrong):
        ax.plot(ts, wrong, label="answerable wrongly abstained (lower is better)")
    if threshold is not None:
        ax.axvline(threshold, color="grey", linestyle="--", label=f"threshold {threshold:.2f}")
    ax.set_xlabel("abstention threshold on answer confidence")
    ax.set_ylabel("share of questions")
    ax.set_ylim(0, 1.02)
    ax.grid(alpha=0.3)
    ax.legend(fontsize="small")
    try:
        return _figure_png(fig)
    finally:
        plt.close(fig)


def _fmt(key: str, value: float | None) -> str:
    if value is None:
        return "-"
    return f"{value:,.0f}" if key.endswith("_ms") else f"{value:.3f}"


def _misses(results: list[QuestionResult], limit: int = 25) -> list[QuestionResult]:
    """Answerable questions without a gold string in the quotes, and unanswerable ones answered."""
    from talentqa.eval.evaluation import contains_answer

    missed = [
        r
        for r in results
        if (r.answerable and r.answers and not any(contains_answer(c.quote, r.answers) for c in r.citations))
        or (not r.answerable and not r.abstained)
    ]
    return missed[:limit]


def render_html(report: EvalReport) -> str:
    """The whole report as one HTML string."""
    esc = html.escape
    figures = report.figures()
    systems = list(figures)
    asked = report.runs[0].metrics.questions if report.runs else 0
    parts = [
        "<!doctype html><html><head><meta charset='utf-8'>",
        f"<title>talentqa eval: {esc(report.dataset)}</title><style>{_CSS}</style></head><body>",
        f"<h1>talentqa eval: {esc(report.dataset)}</h1>",
        f"<p class='meta'>split {esc(report.split)}, {asked} "
        f"questions (limit {report.limit}, seed {report.seed}), {report.documents:,} documents, answerer "
        f"{esc(report.answerer)}, k {report.k}, abstain threshold {report.abstain_threshold}</p>",
        "<table><tr><th>metric</th>" + "".join(f"<th>{esc(s)}</th>" for s in systems) + "</tr>",
    ]
    for key in METRIC_KEYS:
        cells = "".join(f"<td>{_fmt(key, figures[s][key])}</td>" for s in systems)
        parts.append(f"<tr><td>{esc(key)}</td>{cells}</tr>")
    parts.append("</table>")
    recall = recall_plot(report)
    if recall:
        parts.append(f"<h2>Retrieval</h2><img alt='recall at k' src='data:image/png;base64,{recall}'>")
    talentqa = next((run for run in report.runs if run.system == "talentqa"), None)
    if talentqa:
        tradeoff = abstention_plot(talentqa.results, report.abstain_threshold)
        if tradeoff:
            parts.append(
                "<h2>Abstention trade-off</h2>"
                f"<img alt='abstention trade-off' src='data:image/png;base64,{tradeoff}'>"
            )
        missed = _misses(talentqa.results)
        if missed:
            parts.append(
                "<h2>Some misses</h2><table><tr><th>question</th><th>gold</th><th>talentqa said</th></tr>"
            )
            for r in missed:
                gold = " | ".join(r.answers) if r.answerable else "(unanswerable)"
                said = "(abstained)" if r.abstained else r.answer_text[:400]
                parts.append(
                    f"<tr><td class='text'>{esc(r.question)}</td><td class='text'>{esc(gold)}</td>"
                    f"<td class='text'>{esc(said)}</td></tr>"
                )
            parts.append("</table>")
    parts.append("</body></html>")
    return "\n".join(parts)
