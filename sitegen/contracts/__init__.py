"""Pydantic models that cross a boundary: API, workflow, activity, storage."""
