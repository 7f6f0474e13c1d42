"""What reading one policy file may cost, checked before it is parsed into objects.

A policy file is data from a pull request, so it is read as an adversary might have written it. Four things
make YAML expensive, and each is refused with the file and line that caused it:

- **size**: over ``MAX_FILE_BYTES`` (1 MB) the file is not read at all (a 50 MB file took 23 s and 200 MB);
  the example policies are under 3 KB;
- **values**: more than ``MAX_NODES`` values in all (aliases expanded); the example policies have about 260.
  ruamel's pure-Python parser reads some 10,000 values a second here, so a 1 MB flow list of 330,000 values
  would take half a minute to parse even once;
- **nesting**: deeper than ``MAX_DEPTH`` levels (a policy needs 7: ``categories[0].levels[0].notify.users``);
  a few thousand brackets made the YAML composer die of a RecursionError;
- **aliases**: anchors and aliases let 519 bytes stand for a billion values (the "billion laughs"); every
  alias costs the nodes it stands for, and all of a file's aliases together may cost ``MAX_ALIAS_NODES``.

The check walks ruamel's event stream once, without recursion and without building anything, and stops at
the first problem, so a refusal costs less than reading a valid policy of the same size.
"""

from __future__ import annotations

from dataclasses import dataclass

from ruamel.yaml import YAML
from ruamel.yaml.events import AliasEvent, CollectionEndEvent, CollectionStartEvent, NodeEvent

__all__ = ["MAX_ALIAS_NODES", "MAX_DEPTH", "MAX_FILE_BYTES", "MAX_NODES", "Excess", "size_excess", "structure_excess"]

MAX_FILE_BYTES = 1_000_000
MAX_NODES = 20_000
MAX_DEPTH = 32
MAX_ALIAS_NODES = 10_000


@dataclass(frozen=True)
class Excess:
    """Why a file costs too much to read, and the 1-based line where that shows."""

    line: int
    message: str


@dataclass
class _Node:
    """A collection being read: its anchor, and the nodes (aliases expanded) and levels below it so far."""

    anchor: str | None
    size: int = 1
    height: int = 1


def size_excess(size: int) -> Excess | None:
    """A file of ``size`` bytes is too large to read as a policy."""
    if size <= MAX_FILE_BYTES:
        return None
    return Excess(1, f"the file is {size:,} bytes; a policy file may have at most {MAX_FILE_BYTES:,} (1 MB)")


def structure_excess(raw: bytes) -> Excess | None:
    """The first place where ``raw`` has too many values, nests too deeply or has aliases that expand too far,
    or None. YAML syntax errors are raised as ruamel raises them (the caller reports them)."""
    anchors: dict[str, tuple[int, int]] = {}  # anchor -> (values, height) of the finished node it names
    stack: list[_Node] = [_Node(None, size=0, height=0)]  # the document
    values = aliased = 0
    for event in YAML(typ="rt").parse(raw):
        line = event.start_mark.line + 1 if event.start_mark is not None else 1
        if isinstance(event, CollectionEndEvent):
            done = stack.pop()
            if done.anchor is not None:
                anchors[done.anchor] = (done.size, done.height)
            _add(stack[-1], done.size, done.height)
            continue
        if not isinstance(event, NodeEvent):
            continue
        if isinstance(event, AliasEvent):
            if any(node.anchor == event.anchor for node in stack):
                return Excess(line, f"the alias *{event.anchor} is inside the node it refers to (a loop)")
            size, height = anchors.get(str(event.anchor), (1, 0))  # an unknown anchor is the parser's error
            aliased += size
            if aliased > MAX_ALIAS_NODES:
                return Excess(
                    line,
                    f"aliases expand to more than {MAX_ALIAS_NODES:,} values (at *{event.anchor}); "
                    "write the values out or use fewer aliases",
                )
            if len(stack) - 1 + height > MAX_DEPTH:
                return Excess(line, f"the alias *{event.anchor} nests more than {MAX_DEPTH} levels deep")
            _add(stack[-1], size, height)
        elif isinstance(event, CollectionStartEvent):
            if len(stack) > MAX_DEPTH:
                return Excess(line, f"nested more than {MAX_DEPTH} levels deep; no policy needs that many")
            size = 1
            stack.append(_Node(event.anchor))
        else:  # a scalar
            size = 1
            if event.anchor is not None:
                anchors[event.anchor] = (1, 0)
            _add(stack[-1], 1, 0)
        values += size
        if values > MAX_NODES:
            return Excess(line, f"more than {MAX_NODES:,} values (aliases expanded); a policy needs far fewer")
    return None


def _add(parent: _Node, size: int, height: int) -> None:
    parent.size += size
    parent.height = max(parent.height, height + 1)
