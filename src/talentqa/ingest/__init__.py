"""Getting articles in: loaders (files, records, URLs), chunking, and the ingest pipeline."""
