"""Pydantic models: stored entities (one per domain concept) and the API inputs and outputs."""
