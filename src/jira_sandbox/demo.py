"""The demo organisation's constants: users, groups, projects and components, importable by tests and
example policies. `seed.py` builds the organisation from these; nothing here touches a database.

Cloud policies name owners by accountId (`acc-alice`), Server/DC policies by username (`alice`).
"""

from __future__ import annotations

from dataclasses import dataclass

from jira_sandbox.settings import (
    DEFAULT_ADMIN_ACCOUNT_ID,
    DEFAULT_ADMIN_EMAIL,
    DEFAULT_ADMIN_NAME,
    DEFAULT_ADMIN_TOKEN,
)
from jira_sandbox.users import User


@dataclass(frozen=True)
class DemoUser:
    user: User
    groups: tuple[str, ...]
    role: str

    @property
    def account_id(self) -> str:
        return self.user.account_id

    @property
    def username(self) -> str:
        return self.user.name

    @property
    def token(self) -> str:
        return self.user.token or ""


def _user(
    name: str,
    display: str,
    groups: tuple[str, ...],
    role: str,
    *,
    active: bool = True,
    can_edit: bool = True,
    can_assign: bool = True,
) -> DemoUser:
    user = User(
        account_id=f"acc-{name}",
        name=name,
        display_name=display,
        email=f"{name}@example.com",
        token=f"token-{name}",
        active=active,
        can_edit=can_edit,
        can_assign=can_assign,
    )
    return DemoUser(user, (*groups, "jira-software-users"), role)


ADMIN = DemoUser(
    User(
        account_id=DEFAULT_ADMIN_ACCOUNT_ID,
        name=DEFAULT_ADMIN_NAME,
        display_name="Sandbox Admin",
        email=DEFAULT_ADMIN_EMAIL,
        token=DEFAULT_ADMIN_TOKEN,
        is_admin=True,
    ),
    ("jira-administrators", "jira-software-users"),
    "administrator (the credentials the sandbox prints at start)",
)
ALICE = _user("alice", "Alice Adams", ("ops", "ops-l1"), "ops L1 on-call")
BOB = _user("bob", "Bob Brown", ("ops", "ops-l2"), "ops L2")
CAROL = _user("carol", "Carol Chen", ("ops", "ops-l3"), "ops director (L3)")
DAVE = _user("dave", "Dave Davis", ("support", "support-l1"), "support L1")
ERIN = _user("erin", "Erin Evans", ("support", "support-l2"), "support L2")
FRANK = _user("frank", "Frank Fischer", ("support", "support-l3"), "support lead (L3), INACTIVE", active=False)
GRACE = _user("grace", "Grace Garcia", ("engineering", "eng-managers"), "engineering manager")
HEIDI = _user(
    "heidi",
    "Heidi Hall",
    ("viewers",),
    "may browse but not edit or assign (403)",
    can_edit=False,
    can_assign=False,
)

USERS: tuple[DemoUser, ...] = (ADMIN, ALICE, BOB, CAROL, DAVE, ERIN, FRANK, GRACE, HEIDI)


@dataclass(frozen=True)
class DemoProject:
    key: str
    name: str
    lead: DemoUser
    issue_types: tuple[str, ...]
    components: tuple[str, ...]
    labels: tuple[str, ...]
    assignees: tuple[DemoUser, ...]
    share: float


OPS = DemoProject(
    "OPS",
    "Operations",
    CAROL,
    ("Incident", "Bug"),
    ("database", "network", "payments"),
    ("outage", "customer-impact", "degraded", "monitoring", "security"),
    (ALICE, ALICE, ALICE, BOB, BOB, CAROL),
    0.4,
)
SUP = DemoProject(
    "SUP",
    "Support",
    ERIN,
    ("Task", "Support Request", "Bug"),
    ("billing", "accounts", "mobile"),
    ("customer-impact", "vip", "refund", "login"),
    (DAVE, DAVE, DAVE, ERIN, ERIN, FRANK),
    0.4,
)
ENG = DemoProject(
    "ENG",
    "Engineering",
    GRACE,
    ("Bug", "Story", "Task"),
    ("api", "frontend", "infrastructure"),
    ("tech-debt", "regression", "customer-impact", "performance"),
    (GRACE,),
    0.2,
)
PROJECTS: tuple[DemoProject, ...] = (OPS, SUP, ENG)

PRIORITIES = ("Highest", "High", "Medium", "Low", "Lowest")  # ids 1..5
STATUSES = ("To Do", "In Progress", "Done")  # categories new, indeterminate, done
SEVERITY_FIELD_ID = 10010  # customfield_10010 / cf[10010], text: S1..S4
AFFECTED_CUSTOMERS_FIELD_ID = 10011  # customfield_10011 / cf[10011], number
DEMO_ISSUE_COUNT = 300
DEMO_RNG_SEED = 20240501
DEMO_SPAN_DAYS = 42
