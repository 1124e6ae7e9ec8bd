"""Answerers (the trained reader, the accurate reader cascade, the LLM), quote location and verification,
and the fixed wording of answers."""
