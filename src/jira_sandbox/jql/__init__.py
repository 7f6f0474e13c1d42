"""JQL for the sandbox: `parse` turns a query into a syntax tree (`ast`), `translate` turns the tree
into SQL over the sandbox's tables. Errors are raised as Jira's 400s."""

from jira_sandbox.jql.parser import parse
from jira_sandbox.jql.translate import SqlQuery, TranslationContext, translate

__all__ = ["SqlQuery", "TranslationContext", "parse", "translate"]
