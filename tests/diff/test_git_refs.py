"""authoring.git reads file names verbatim: non-ASCII names are not C-quoted by ``git ls-tree``."""

from __future__ import annotations

from pathlib import Path

from escalator.authoring.git import GitRepo
from tests.diff.scenario import BASE_POLICY, git, policy_repo


def test_files_at_a_ref_keep_non_ascii_names(tmp_path: Path) -> None:
    repo = policy_repo(tmp_path)
    (repo / "policies" / "störung é.yaml").write_text(BASE_POLICY.replace("preview-matrix", "preview-stoerung"))
    git(repo, "add", "policies")
    git(repo, "commit", "-q", "-m", "a policy with a non-ASCII name")
    files = GitRepo(repo).files_at("HEAD", "policies")
    assert sorted(files) == ["policies/preview.yaml", "policies/störung é.yaml"]
    assert GitRepo(repo).show("HEAD", "policies/störung é.yaml").startswith(b"name: preview-stoerung")
