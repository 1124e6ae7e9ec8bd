"""Answerers (extractive and LLM), quote verification and the answer chain."""
