"""Prefect flows: the sweep and its companions; orchestration only, the rules live in ``escalator``."""
