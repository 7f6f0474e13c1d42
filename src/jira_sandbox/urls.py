"""The absolute `self` URLs the sandbox puts in its answers.

The `jira` client PUTs and GETs an issue's `self` and picks resource classes by regex on `self`, so these
must be absolute, routable and shaped like Jira's (`.../rest/api/2/issue/10001`, `.../user?accountId=`).
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import quote


@dataclass(frozen=True)
class ApiUrls:
    """URLs under one base (`http://127.0.0.1:8080`) and one REST version (`2`, `latest` or `3`)."""

    base: str
    version: str = "2"

    @property
    def api(self) -> str:
        return f"{self.base.rstrip('/')}/rest/api/{self.version}"

    def issue(self, issue_id: int) -> str:
        return f"{self.api}/issue/{issue_id}"

    def comment(self, issue_id: int, comment_id: int) -> str:
        return f"{self.api}/issue/{issue_id}/comment/{comment_id}"

    def issue_property(self, key: str, property_key: str) -> str:
        return f"{self.api}/issue/{key}/properties/{quote(property_key)}"

    def user_by_account(self, account_id: str) -> str:
        return f"{self.api}/user?accountId={quote(account_id)}"

    def user_by_name(self, name: str) -> str:
        return f"{self.api}/user?username={quote(name)}"

    def priority(self, priority_id: int) -> str:
        return f"{self.api}/priority/{priority_id}"

    def status(self, status_id: int) -> str:
        return f"{self.api}/status/{status_id}"

    def status_category(self, category_id: int) -> str:
        return f"{self.api}/statuscategory/{category_id}"

    def resolution(self, resolution_id: int) -> str:
        return f"{self.api}/resolution/{resolution_id}"

    def issue_type(self, type_id: int) -> str:
        return f"{self.api}/issuetype/{type_id}"

    def project(self, project_id: int) -> str:
        return f"{self.api}/project/{project_id}"

    def component(self, component_id: int) -> str:
        return f"{self.api}/component/{component_id}"

    def icon(self, name: str) -> str:
        return f"{self.base.rstrip('/')}/images/icons/{name}.svg"
