"""JQL text to syntax tree with a lark LALR parser; syntax errors become Jira's 400 wording."""

from __future__ import annotations

import re
from functools import cache, lru_cache
from pathlib import Path
from typing import Any

from lark import (
    Lark,
    Token,
    Transformer,
    UnexpectedCharacters,
    UnexpectedEOF,
    UnexpectedInput,
    UnexpectedToken,
)

from jira_sandbox.errors import bad_request
from jira_sandbox.jql.ast import (
    And,
    Clause,
    EmptyValue,
    FunctionCall,
    Node,
    Not,
    Operand,
    Or,
    Query,
    SortKey,
    Value,
    ValueList,
)

_EXPECTING = {
    "COMPARE": "operator",
    "_IN": "operator",
    "_IS": "operator",
    "WORD": "either a value, list or function",
    "STRING": "either a value, list or function",
    "_EMPTY": "'EMPTY' or 'NULL'",
}
_OPERATORS = "The valid operators are '=', '!=', '<', '>', '<=', '>=', '~', '!~', 'IN', 'NOT IN', 'IS' and 'IS NOT'."
_EMPTY_WORDS = {"empty", "null"}


@cache
def _parser() -> Lark:
    grammar = (Path(__file__).parent / "grammar.lark").read_text()
    return Lark(grammar, parser="lalr", lexer="contextual", propagate_positions=False)


def _unquote(token: Token) -> tuple[str, bool]:
    text = str(token)
    if token.type == "STRING":
        return re.sub(r"\\(.)", r"\1", text[1:-1]), True
    return text, False


class _ToAst(Transformer[Any, Any]):
    def start(self, children: list[Any]) -> Query:
        where, order = children
        return Query(where=where, order_by=tuple(order or ()))

    def or_(self, children: list[Node]) -> Or:
        left, right = children
        parts = (*left.children, right) if isinstance(left, Or) else (left, right)
        return Or(parts)

    def and_(self, children: list[Node]) -> And:
        left, right = children
        parts = (*left.children, right) if isinstance(left, And) else (left, right)
        return And(parts)

    def not_(self, children: list[Node]) -> Not:
        return Not(children[0])

    def field(self, children: list[Token]) -> str:
        text, _ = _unquote(children[0])
        if children[0].type == "CF":
            return "cf[" + re.sub(r"\D", "", text) + "]"
        return text

    def value(self, children: list[Token]) -> Value | EmptyValue:
        text, quoted = _unquote(children[0])
        if not quoted and text.lower() in _EMPTY_WORDS:
            return EmptyValue()
        return Value(text, quoted)

    def argument(self, children: list[Token]) -> str:
        return _unquote(children[0])[0]

    def function(self, children: list[Any]) -> FunctionCall:
        name, *args = children
        return FunctionCall(str(name), tuple(arg for arg in args if arg is not None))

    def value_list(self, children: list[Any]) -> ValueList:
        return ValueList(tuple(children))

    def compare(self, children: list[Any]) -> Clause:
        field, operator, operand = children
        return Clause(field, str(operator), operand)

    def in_(self, children: list[Any]) -> Clause:
        return Clause(children[0], "IN", children[1])

    def not_in(self, children: list[Any]) -> Clause:
        return Clause(children[0], "NOT IN", children[1])

    def is_empty(self, children: list[Any]) -> Clause:
        return Clause(children[0], "IS", EmptyValue())

    def is_not_empty(self, children: list[Any]) -> Clause:
        return Clause(children[0], "IS NOT", EmptyValue())

    def order_by(self, children: list[SortKey]) -> list[SortKey]:
        return children

    def sort_key(self, children: list[Any]) -> SortKey:
        field, direction = children
        return SortKey(field, None if direction is None else str(direction).lower() == "desc")


def _syntax_error(text: str, error: UnexpectedInput) -> Exception:
    if isinstance(error, UnexpectedEOF) or (isinstance(error, UnexpectedToken) and error.token.type == "$END"):
        expected = getattr(error, "expected", None) or set()
        what = next((_EXPECTING[name] for name in sorted(expected) if name in _EXPECTING), "more input")
        return bad_request(f"Error in the JQL Query: Expecting {what} before the end of the query.")
    where = f"(line {error.line}, character {error.column})"
    if isinstance(error, UnexpectedCharacters):
        position = error.pos_in_stream or 0
        char = text[position] if position < len(text) else ""
        return bad_request(
            f"Error in the JQL Query: The character '{char}' is a reserved JQL character. You must enclose "
            f"it in a string or use the escape '\\u{ord(char or ' '):04x}' instead. {where}"
        )
    assert isinstance(error, UnexpectedToken)
    expected_names = set(error.expected)
    got = str(error.token)
    if expected_names & {"COMPARE", "_IN", "_IS"} and "WORD" not in expected_names:
        return bad_request(f"Error in the JQL Query: Expecting operator but got '{got}'. {_OPERATORS} {where}")
    what = next((_EXPECTING[name] for name in sorted(expected_names) if name in _EXPECTING), "a field name")
    return bad_request(f"Error in the JQL Query: Expecting {what} but got '{got}'. {where}")


def parse(text: str | None) -> Query:
    """Parse JQL; an empty query is `Query(where=None)`. Raises `JiraApiError` (400) on a syntax error."""
    if text is None or not text.strip():
        return Query(where=None)
    return _parse(text)


@lru_cache(maxsize=256)
def _parse(text: str) -> Query:
    """The tree of a query, kept for the next request with the same text: a sweep sends its query again with every
    page (`nextPageToken`), and the tree is immutable. Syntax errors are raised each time, never kept."""
    try:
        tree = _parser().parse(text)
    except UnexpectedInput as error:
        raise _syntax_error(text, error) from None
    query = _ToAst().transform(tree)
    assert isinstance(query, Query)
    return query


def operand_values(operand: Operand) -> tuple[Value | EmptyValue | FunctionCall, ...]:
    """The items of an operand: a list's items, or the operand itself."""
    return operand.items if isinstance(operand, ValueList) else (operand,)


__all__ = ["And", "Clause", "Not", "Or", "Query", "operand_values", "parse"]
