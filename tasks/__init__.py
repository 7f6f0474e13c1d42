"""Prefect tasks: thin wrappers that each do one thing and call into ``escalator``; no business rules here."""
