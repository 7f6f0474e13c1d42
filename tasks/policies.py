"""Load and validate every policy of a run, with its git provenance, before anything touches Jira."""

from __future__ import annotations

from pathlib import Path

from prefect import task
from prefect.cache_policies import NO_CACHE

from escalator.sweep.policies import PolicyRun, prepare_policies


@task(name="load-policies", cache_policy=NO_CACHE)
def load_policies(paths: list[str], require_clean_policy: bool) -> list[PolicyRun]:
    return prepare_policies([Path(p) for p in paths], require_clean_policy=require_clean_policy)
