"""Which category an issue belongs to: a category's ``match`` criteria checked against an issue snapshot."""

from __future__ import annotations

from escalator.core.issue import IssueSnapshot
from escalator.core.policy import Category

__all__ = ["category_mismatch", "matches"]


def matches(category: Category, issue: IssueSnapshot) -> bool:
    """Whether ``issue`` meets every criterion of ``category``'s match (any listed value within one)."""
    return _failing_criterion(category, issue) is None


def _failing_criterion(category: Category, issue: IssueSnapshot) -> str | None:
    """The first match criterion ``issue`` fails (a Match field name or a custom field id), or None."""
    match = category.match
    if match.projects and issue.project not in match.projects:
        return "projects"
    if match.issue_types and issue.issue_type not in match.issue_types:
        return "issue_types"
    if match.priorities and issue.priority not in match.priorities:
        return "priorities"
    if match.components and not set(match.components).intersection(issue.components):
        return "components"
    if match.labels and not set(match.labels).intersection(issue.labels):
        return "labels"
    for field, accepted in match.fields.items():
        value = issue.fields.get(field)
        values = value if isinstance(value, tuple) else (value,)
        if not {str(v) for v in values if v is not None} & set(accepted):
            return field
    return None


def category_mismatch(category: Category, issue: IssueSnapshot) -> str | None:
    """Why ``issue`` is not in ``category``, in words (the first criterion that fails), or None when it is."""
    criterion = _failing_criterion(category, issue)
    if criterion is None:
        return None
    match = category.match
    described: dict[str, tuple[str, object, tuple[str, ...]]] = {
        "projects": ("project", issue.project, match.projects),
        "issue_types": ("issue type", issue.issue_type, match.issue_types),
        "priorities": ("priority", issue.priority or "none", match.priorities),
        "components": ("components", ", ".join(issue.components) or "none", match.components),
        "labels": ("labels", ", ".join(issue.labels) or "none", match.labels),
    }
    name, value, accepted = described.get(
        criterion, (criterion, issue.fields.get(criterion), match.fields.get(criterion, ()))
    )
    return f"{name} {value} is not among {', '.join(accepted)}"
