"""The JQL grammar: every construct escalation policies use parses to the expected tree; bad queries
are Jira's 400 with a Jira-like message."""

from __future__ import annotations

import pytest

from jira_sandbox.errors import JiraApiError
from jira_sandbox.jql.ast import And, Clause, EmptyValue, FunctionCall, Not, Or, Query, SortKey, Value, ValueList
from jira_sandbox.jql.parser import parse


def clause(text: str) -> Clause:
    where = parse(text).where
    assert isinstance(where, Clause)
    return where


@pytest.mark.parametrize("operator", ["=", "!=", ">", ">=", "<", "<=", "~", "!~"])
def test_comparison_operators(operator: str) -> None:
    assert clause(f"priority {operator} High") == Clause("priority", operator, Value("High"))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "status IN (Open, 'In Progress')",
            Clause("status", "IN", ValueList((Value("Open"), Value("In Progress", True)))),
        ),
        ("status not in (Done)", Clause("status", "NOT IN", ValueList((Value("Done"),)))),
        ("assignee IS EMPTY", Clause("assignee", "IS", EmptyValue())),
        ("assignee is not null", Clause("assignee", "IS NOT", EmptyValue())),
        ("assignee = EMPTY", Clause("assignee", "=", EmptyValue())),
        ('assignee = "EMPTY"', Clause("assignee", "=", Value("EMPTY", True))),
        ("assignee = currentUser()", Clause("assignee", "=", FunctionCall("currentUser"))),
        ('assignee in membersOf("ops-l1")', Clause("assignee", "IN", FunctionCall("membersOf", ("ops-l1",)))),
        ("created < -2d", Clause("created", "<", Value("-2d"))),
        ("updated >= startOfDay(-1w)", Clause("updated", ">=", FunctionCall("startOfDay", ("-1w",)))),
        ("created > now()", Clause("created", ">", FunctionCall("now"))),
        ('created >= "2024-05-01 10:00"', Clause("created", ">=", Value("2024-05-01 10:00", True))),
        ("cf[10010] = S1", Clause("cf[10010]", "=", Value("S1"))),
        ("CF[ 10010 ] ~ 'x y'", Clause("cf[10010]", "~", Value("x y", True))),
        ('"Severity" = S2', Clause("Severity", "=", Value("S2"))),
        ("labels = and", Clause("labels", "=", Value("and"))),
        ("key = OPS-12", Clause("key", "=", Value("OPS-12"))),
        ('summary ~ "say \\"hi\\""', Clause("summary", "~", Value('say "hi"', True))),
        ("labels in (outage, EMPTY)", Clause("labels", "IN", ValueList((Value("outage"), EmptyValue())))),
    ],
)
def test_clauses(text: str, expected: Clause) -> None:
    assert clause(text) == expected


def test_precedence_and_binds_tighter_than_or() -> None:
    query = parse("a = 1 OR b = 2 AND c = 3")
    assert query.where == Or(
        (Clause("a", "=", Value("1")), And((Clause("b", "=", Value("2")), Clause("c", "=", Value("3")))))
    )


def test_not_and_parentheses() -> None:
    query = parse("NOT (a = 1 or b = 2) and not c = 3")
    assert query.where == And(
        (
            Not(Or((Clause("a", "=", Value("1")), Clause("b", "=", Value("2"))))),
            Not(Clause("c", "=", Value("3"))),
        )
    )


def test_keywords_are_case_insensitive_and_symbols_work() -> None:
    assert parse("a = 1 && b = 2 || c = 3") == parse("a = 1 and b = 2 OR c = 3")


def test_order_by() -> None:
    query = parse("project = OPS ORDER BY priority DESC, created asc, key")
    assert query.order_by == (SortKey("priority", True), SortKey("created", False), SortKey("key", None))


def test_empty_query_and_order_only() -> None:
    assert parse("") == Query(where=None)
    assert parse("   ") == Query(where=None)
    assert parse("order by created").where is None


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("status =", "Expecting either a value, list or function before the end of the query."),
        ("status foo bar", "Expecting operator but got 'foo'."),
        ("project = OPS AND", "before the end of the query"),
        ("(project = OPS", "before the end of the query"),
        ("project = OPS)", "Error in the JQL Query"),
        ("status in Done", "Error in the JQL Query"),
        ("= OPS", "Error in the JQL Query"),
        ("project == OPS", "Error in the JQL Query"),
        ('summary ~ "unterminated', "Error in the JQL Query"),
        ("created > [2024]", "reserved JQL character"),
        ("order by", "before the end of the query"),
    ],
)
def test_bad_queries_are_400(text: str, message: str) -> None:
    with pytest.raises(JiraApiError) as raised:
        parse(text)
    assert raised.value.status == 400
    assert message in raised.value.messages[0]
    assert raised.value.body()["errors"] == {}
