"""The JQL syntax tree: immutable values, no behaviour. Built by `parser.py`, read by `translate.py`."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Value:
    """A literal: an unquoted word or a quoted string (quotes removed)."""

    text: str
    quoted: bool = False


@dataclass(frozen=True)
class EmptyValue:
    """`EMPTY` or `NULL` used as an operand."""


@dataclass(frozen=True)
class FunctionCall:
    name: str
    args: tuple[str, ...] = ()


@dataclass(frozen=True)
class ValueList:
    items: tuple[Value | EmptyValue | FunctionCall, ...]


Operand = Value | EmptyValue | FunctionCall | ValueList


@dataclass(frozen=True)
class Clause:
    """`field operator operand`; operator is one of = != > >= < <= ~ !~ IN, NOT IN, IS, IS NOT."""

    field: str
    operator: str
    operand: Operand


@dataclass(frozen=True)
class And:
    children: tuple[Node, ...]


@dataclass(frozen=True)
class Or:
    children: tuple[Node, ...]


@dataclass(frozen=True)
class Not:
    child: Node


Node = Clause | And | Or | Not


@dataclass(frozen=True)
class SortKey:
    field: str
    descending: bool | None = None


@dataclass(frozen=True)
class Query:
    where: Node | None
    order_by: tuple[SortKey, ...] = ()
