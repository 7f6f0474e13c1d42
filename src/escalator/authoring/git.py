"""Policy files as they are at a git ref: the merge base with the main branch, a file's bytes at a ref, the
policy files under a folder at a ref. Runs ``git`` as a subprocess; reads only, never changes the repository.

Every failure (not a repository, an unknown ref, a path missing at that ref) is a ``GitRefError`` whose message
says what to do, never a ``CalledProcessError``. ``run_git`` is the one way escalator runs git; a caller that can
do without an answer (``provenance``: outside git the record says None) catches the error.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

__all__ = ["MAIN_BRANCHES", "GitRefError", "GitRepo", "run_git"]

MAIN_BRANCHES = ("main", "origin/main", "master", "origin/master")
"""Where ``--base`` defaults to the merge base with, tried in this order."""


class GitRefError(Exception):
    """git could not answer: not a repository, an unknown ref, or a path that does not exist at a ref."""


def run_git(cwd: Path, *args: str, timeout: float = 30.0) -> bytes:
    """What ``git ARGS`` prints in ``cwd``; ``GitRefError`` with git's last line of complaint when it fails."""
    try:
        done = subprocess.run(["git", *args], cwd=cwd, capture_output=True, check=False, timeout=timeout)
    except FileNotFoundError:
        raise GitRefError("git is not installed or not on PATH") from None
    except (OSError, subprocess.TimeoutExpired) as error:
        raise GitRefError(f"git {' '.join(args)} could not run: {error}") from None
    if done.returncode != 0:
        message = done.stderr.decode(errors="replace").strip().splitlines()
        raise GitRefError(message[-1] if message else f"git {' '.join(args)} failed")
    return done.stdout


class GitRepo:
    """The repository that contains ``cwd``."""

    def __init__(self, cwd: Path) -> None:
        self.cwd = cwd
        try:
            top = self._git("rev-parse", "--show-toplevel").strip()
        except GitRefError:
            raise GitRefError(f"{cwd} is not inside a git repository (policy diff needs git)") from None
        self.root = Path(top)

    def _git(self, *args: str) -> str:
        return self._git_bytes(*args).decode()

    def _git_bytes(self, *args: str) -> bytes:
        return run_git(self.cwd, *args)

    def commit_of(self, ref: str) -> str:
        """The commit ``ref`` names; ``GitRefError`` if it names none."""
        try:
            return self._git("rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}").strip()
        except GitRefError:
            raise GitRefError(f"unknown git ref {ref!r}") from None

    def merge_base_with_main(self, head: str = "HEAD") -> str:
        """The merge base of ``head`` with the first of ``MAIN_BRANCHES`` that exists."""
        for branch in MAIN_BRANCHES:
            try:
                self.commit_of(branch)
            except GitRefError:
                continue
            return self._git("merge-base", branch, head).strip()
        raise GitRefError(f"none of {', '.join(MAIN_BRANCHES)} exists here; name the base with --base REF")

    def relative(self, path: Path) -> str:
        """``path`` (absolute, or relative to the current directory) relative to the repository's root."""
        absolute = path if path.is_absolute() else (self.cwd / path)
        try:
            return absolute.resolve().relative_to(self.root.resolve()).as_posix()
        except ValueError:
            raise GitRefError(f"{path} is outside the git repository at {self.root}") from None

    def is_dir_at(self, ref: str, relative: str) -> bool:
        try:
            return self._git("cat-file", "-t", f"{ref}:{relative}").strip() == "tree"
        except GitRefError:
            return False

    def files_at(self, ref: str, relative: str) -> list[str]:
        """The files directly in folder ``relative`` at ``ref`` (repository-relative paths)."""
        out = self._git("ls-tree", "-z", "--name-only", f"{ref}:{relative}" if relative not in ("", ".") else ref)
        prefix = "" if relative in ("", ".") else relative.rstrip("/") + "/"
        return [prefix + name for name in out.split("\0") if name]  # -z: names verbatim, never C-quoted

    def show(self, ref: str, relative: str) -> bytes:
        """The bytes of file ``relative`` at ``ref``."""
        try:
            return self._git_bytes("show", f"{ref}:{relative}")
        except GitRefError:
            self.commit_of(ref)  # an unknown ref says so
            raise GitRefError(f"{relative} does not exist at {ref}") from None
