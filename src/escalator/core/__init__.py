"""The pure escalation core: policies, issue snapshots, calendars and ``evaluate``.

It knows nothing of Jira, Prefect, files, the clock or the environment; callers hand it everything.
"""

from escalator.core.calendar import ALWAYS, Calendar
from escalator.core.decision import Actions, Decision, Plan, SkippedOwner
from escalator.core.evaluate import evaluate, merge_plans, youngest_actionable_age
from escalator.core.issue import STATE_PROPERTY_KEY, EscalationState, IssueSnapshot
from escalator.core.matching import category_mismatch
from escalator.core.policy import Category, Level, Policy, PolicyIdentity
from escalator.core.priority import raise_priority

__all__ = [
    "ALWAYS",
    "STATE_PROPERTY_KEY",
    "Actions",
    "Calendar",
    "Category",
    "Decision",
    "EscalationState",
    "IssueSnapshot",
    "Level",
    "Plan",
    "Policy",
    "PolicyIdentity",
    "SkippedOwner",
    "category_mismatch",
    "evaluate",
    "merge_plans",
    "raise_priority",
    "youngest_actionable_age",
]
