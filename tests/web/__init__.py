"""Web and feed ingestion tests (a package so helper modules import relatively)."""
