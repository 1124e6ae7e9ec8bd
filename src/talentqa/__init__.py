"""talentqa: answers questions about news articles with verbatim, verified quotes."""

__version__ = "0.1.0"
