"""Chain heads recorded outside the sink, in Prefect: written by every run that has a sink, read by ``verify``.

A hash chain catches edits inside it but not a cut tail, a deleted newest file or chain, or a consistent
rewrite. So each run records each chain's head (``CHAIN:SEQ:HASH``) in its decisions artifact (metadata and
description) and in its summary artifact; ``escalator audit verify`` reads every one back and checks the sink
still reaches it. Prefect's artifacts can be changed by any API client too, so an auditor should also keep heads
somewhere neither escalator nor Prefect can change them, and pass them with ``--expect-head``.

Artifacts written before heads carried a ``seq`` name only the hash, in the description (``audit sink chain
head <hash>``); those are read as heads whose hash must appear in one of the policy's chains.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator

from prefect import get_client
from prefect.client.orchestration import SyncPrefectClient
from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterKey, FlowRunFilter, FlowRunFilterId
from prefect.client.schemas.objects import Artifact
from prefect.client.schemas.sorting import ArtifactSort

from escalator.audit.sink import ChainHead
from escalator.audit.verify import HeadAnchor

__all__ = ["anchor_metadata", "anchor_text", "prefect_anchors"]

PAGE_SIZE = 200
_SUFFIXES = ("-decisions", "-summary")
_KEY = re.compile(r"^escalator-(?P<policy>[a-z0-9-]+?)-(?:decisions|summary)$")
_LEGACY = re.compile(r"chain head ([0-9a-f]{64})")
_HEX64 = re.compile(r"^[0-9a-f]{64}$")


def anchor_metadata(head: ChainHead, sink: str) -> dict[str, str]:
    """The artifact metadata that records ``head`` of a chain in ``sink`` (its ``AuditSink.identity``)."""
    return {"audit_sink": sink, "audit_chain": head.chain, "audit_seq": str(head.seq), "audit_head": head.digest}


def anchor_text(head: ChainHead) -> str:
    return f"audit chain head {head}"


def prefect_anchors(policy: str | None = None, client: SyncPrefectClient | None = None) -> list[HeadAnchor]:
    """Every distinct head recorded in the decisions and summary artifacts (of ``policy``, or of all policies),
    each with the sink it was recorded for and the flow run that recorded it (the newest, when several runs
    recorded the same head)."""
    if client is None:
        with get_client(sync_client=True) as own:
            return prefect_anchors(policy, own)
    found: dict[tuple[str | None, str, int | None, str], tuple[str, uuid.UUID | None]] = {}
    for artifact in _artifacts(client, policy):
        anchor = _anchor(artifact)
        if anchor is not None and anchor not in found:
            found[anchor] = (f"artifact {artifact.key}", artifact.flow_run_id)
    names = _run_names(client, {run for _, run in found.values() if run is not None})
    anchors = []
    for (sink, chain, seq, digest), (where, run) in found.items():
        source = f"flow run {names.get(run, '?')} ({run}), {where}" if run is not None else where
        anchors.append(HeadAnchor(chain, seq, digest, source, sink))
    return anchors


def _artifacts(client: SyncPrefectClient, policy: str | None) -> Iterator[Artifact]:
    key = (
        ArtifactFilterKey(any_=[f"escalator-{policy}{suffix}" for suffix in _SUFFIXES])
        if policy
        else ArtifactFilterKey(like_="escalator-%")
    )
    seen: set[uuid.UUID] = set()
    offset = 0
    while True:
        page = client.read_artifacts(
            artifact_filter=ArtifactFilter(key=key), sort=ArtifactSort.CREATED_DESC, limit=PAGE_SIZE, offset=offset
        )
        for artifact in page:
            if artifact.id not in seen and (artifact.key or "").endswith(_SUFFIXES):
                seen.add(artifact.id)
                yield artifact
        if len(page) < PAGE_SIZE:
            return
        offset += len(page)


def _anchor(artifact: Artifact) -> tuple[str | None, str, int | None, str] | None:
    metadata = artifact.metadata_ or {}
    chain, seq, digest = metadata.get("audit_chain"), metadata.get("audit_seq"), metadata.get("audit_head")
    if chain and seq and digest and seq.isdigit() and _HEX64.match(digest):
        return metadata.get("audit_sink"), chain, int(seq), digest
    key = _KEY.match(artifact.key or "")
    legacy = _LEGACY.search(artifact.description or "")
    if key is not None and legacy is not None and not metadata:
        return None, key["policy"], None, legacy.group(1)
    return None


def _run_names(client: SyncPrefectClient, runs: set[uuid.UUID]) -> dict[uuid.UUID, str]:
    names: dict[uuid.UUID, str] = {}
    ordered = sorted(runs, key=str)
    for start in range(0, len(ordered), PAGE_SIZE):
        chunk = ordered[start : start + PAGE_SIZE]
        wanted = FlowRunFilter(id=FlowRunFilterId(any_=chunk))
        flow_runs = client.read_flow_runs(flow_run_filter=wanted, limit=PAGE_SIZE)
        names.update({run.id: run.name for run in flow_runs})
    return names
