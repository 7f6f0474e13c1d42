"""Policy files on disk: read YAML, validate it into ``Policy`` models, and report every problem at once.

Each problem names the file, the line and the field path, in the form editors and CI logs link to
(``policies/outage.yaml:14: categories[0].levels[1].window: ...``). Validation runs in passes, cheap to
expensive: what the file may cost to read (size, nesting, aliases: ``bounds.py``), YAML syntax, then the shape
of every element, then cross-references, for every file before any policy is used, so a run never starts with
half its policies.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError
from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import MarkedYAMLError, YAMLError

from escalator.authoring.bounds import MAX_FILE_BYTES, Excess, size_excess, structure_excess
from escalator.core.policy import Location, Policy, PolicyIdentity, PolicyReferenceError, dotted_path

__all__ = [
    "CASES_SUFFIXES",
    "LoadedPolicy",
    "PolicyLoadError",
    "PolicyProblem",
    "expand_policy_paths",
    "load_policies",
    "load_policy_bytes",
    "load_policy_file",
    "parse_yaml",
    "read_yaml",
    "validate_yaml",
]

CASES_SUFFIXES = (".cases.yaml", ".cases.yml")
"""Golden test cases sit beside the policies under these names; they are not policies themselves."""


@dataclass(frozen=True)
class PolicyProblem:
    path: str
    line: int | None
    field: str
    message: str

    def __str__(self) -> str:
        where = f"{self.path}:{self.line}" if self.line else self.path
        return f"{where}: {self.field + ': ' if self.field else ''}{self.message}"


class PolicyLoadError(Exception):
    """One or more policy files are not valid; ``problems`` lists every one of them."""

    def __init__(self, problems: Sequence[PolicyProblem]) -> None:
        self.problems = tuple(problems)
        count = len(self.problems)
        super().__init__(
            f"{count} problem{'s' if count != 1 else ''} in policy files:\n" + "\n".join(map(str, problems))
        )


@dataclass(frozen=True)
class LoadedPolicy:
    policy: Policy
    identity: PolicyIdentity
    path: Path


def expand_policy_paths(paths: Iterable[Path]) -> list[Path]:
    """Files as given; a folder stands for the ``*.yaml``/``*.yml`` files directly in it (not its test cases)."""
    result: list[Path] = []
    for path in paths:
        if path.is_dir():
            result.extend(
                sorted(
                    p
                    for p in path.iterdir()
                    if p.suffix in {".yaml", ".yml"} and p.is_file() and not p.name.endswith(CASES_SUFFIXES)
                )
            )
        else:
            result.append(path)
    return result


def read_yaml(path: Path) -> tuple[Any, bytes]:
    """The parsed YAML (ruamel round-trip nodes, which remember their lines) and the file's bytes.

    Raises ``PolicyLoadError`` for a missing file, one too large to read (judged before reading it), a syntax
    error, or YAML too costly to build, with the line of the problem.
    """
    display = str(path)
    try:
        with path.open("rb") as file:
            too_large = size_excess(os.fstat(file.fileno()).st_size)  # a pipe says 0: read no more than allowed
            raw = b"" if too_large else file.read(MAX_FILE_BYTES + 1)
    except OSError as error:
        raise PolicyLoadError([PolicyProblem(display, None, "", f"cannot read the file: {error.strerror}")]) from None
    if too_large is not None:
        raise _refused(display, too_large)
    return parse_yaml(raw, display), raw


def parse_yaml(raw: bytes, display: str) -> Any:
    """Parse YAML bytes (from a file, or from git at a ref); syntax errors name ``display`` and the line."""
    excess = size_excess(len(raw))
    if excess is not None:
        raise _refused(display, excess)
    try:
        excess = structure_excess(raw)
        data = None if excess else YAML(typ="rt").load(raw)
    except MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        line = mark.line + 1 if mark is not None else None
        message = " ".join(str(part) for part in (error.context, error.problem) if part)
        raise PolicyLoadError([PolicyProblem(display, line, "", f"YAML syntax: {message}")]) from None
    except YAMLError as error:
        raise PolicyLoadError([PolicyProblem(display, None, "", f"YAML: {error}")]) from None
    except Exception as error:  # ruamel's constructors on hostile input: `!!set x`, a 13th month, ...
        message = f"YAML that cannot be read ({type(error).__name__}: {str(error)[:200]})"
        raise PolicyLoadError([PolicyProblem(display, None, "", message)]) from None
    if excess is not None:
        raise _refused(display, excess)
    return data


def _refused(display: str, excess: Excess) -> PolicyLoadError:
    return PolicyLoadError([PolicyProblem(display, excess.line, "", excess.message)])


def validate_yaml(model: type[BaseModel], data: Any, path: str) -> Any:
    """Validate parsed YAML against ``model``; every error becomes a ``PolicyProblem`` with file and line."""
    if not isinstance(data, dict):
        kind = "empty" if data is None else f"a {type(data).__name__}"
        raise PolicyLoadError([PolicyProblem(path, 1, "", f"expected a mapping of keys to values, found {kind}")])
    try:
        return model.model_validate(_plain(data))
    except ValidationError as error:
        raise PolicyLoadError(list(_problems(error, data, path))) from None


def load_policy_file(path: Path) -> LoadedPolicy:
    data, raw = read_yaml(path)
    policy: Policy = validate_yaml(Policy, data, str(path))
    identity = PolicyIdentity.of(policy, sha256=hashlib.sha256(raw).hexdigest(), path=str(path))
    return LoadedPolicy(policy=policy, identity=identity, path=path)


def load_policy_bytes(raw: bytes, display: str, path: Path) -> LoadedPolicy:
    """A policy from bytes not on disk (a file at a git ref); problems name ``display``, e.g. ``main:p.yaml``."""
    policy: Policy = validate_yaml(Policy, parse_yaml(raw, display), display)
    identity = PolicyIdentity.of(policy, sha256=hashlib.sha256(raw).hexdigest(), path=display)
    return LoadedPolicy(policy=policy, identity=identity, path=path)


def load_policies(paths: Iterable[Path]) -> list[LoadedPolicy]:
    """Load every policy under ``paths``; raise one ``PolicyLoadError`` listing the problems of all files."""
    files = expand_policy_paths(paths)
    if not files:
        raise PolicyLoadError([PolicyProblem(", ".join(map(str, paths)) or ".", None, "", "no policy files found")])
    loaded: list[LoadedPolicy] = []
    problems: list[PolicyProblem] = []
    for file in files:
        try:
            loaded.append(load_policy_file(file))
        except PolicyLoadError as error:
            problems.extend(error.problems)
    seen: dict[str, Path] = {}
    for item in loaded:
        earlier = seen.setdefault(item.policy.name, item.path)
        if earlier != item.path:
            problems.append(
                PolicyProblem(
                    str(item.path),
                    _line(_yaml_of(item.path), ("name",)),
                    "name",
                    f"policy name {item.policy.name!r} is already used by {earlier}",
                )
            )
    if problems:
        raise PolicyLoadError(problems)
    return loaded


def _yaml_of(path: Path) -> Any:
    return read_yaml(path)[0]


def _problems(error: ValidationError, data: Any, path: str) -> Iterable[PolicyProblem]:
    for item in error.errors():
        loc: Location = tuple(item["loc"])
        cause = (item.get("ctx") or {}).get("error")
        if isinstance(cause, PolicyReferenceError):
            for where, message in cause.problems:
                full = (*loc, *where)
                yield PolicyProblem(path, _line(data, full), dotted_path(full), message)
            continue
        message = item["msg"]
        if item["type"] == "extra_forbidden":
            message = "unknown key (check the spelling; see policies/policy.schema.json for the keys allowed here)"
        elif message.startswith("Value error, "):
            message = message.removeprefix("Value error, ")
        yield PolicyProblem(path, _line(data, loc), dotted_path(loc), message)


def _line(node: Any, loc: Location) -> int | None:
    """The 1-based line of the deepest YAML node on ``loc`` that exists (the key's line for a mapping)."""
    line: int | None = 1
    for part in loc:
        if isinstance(node, CommentedMap) and part in node:
            line = node.lc.key(part)[0] + 1
            node = node[part]
        elif isinstance(node, CommentedSeq) and isinstance(part, int) and 0 <= part < len(node):
            line = node.lc.item(part)[0] + 1
            node = node[part]
        else:
            break
    return line


def _plain(node: Any) -> Any:
    """Round-trip YAML nodes as plain dicts, lists and scalars, for pydantic."""
    if isinstance(node, dict):
        return {str(key): _plain(value) for key, value in node.items()}
    if isinstance(node, list):
        return [_plain(value) for value in node]
    if isinstance(node, str):
        return str(node)
    if isinstance(node, bool):
        return bool(node)
    if isinstance(node, int):
        return int(node)
    if isinstance(node, float):
        return float(node)
    return node
