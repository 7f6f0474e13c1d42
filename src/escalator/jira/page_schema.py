"""A search page's JSON types checked while it is parsed: the fast path of ``pages.read_page`` (issue 16).

Reading a page used to cost three passes over every issue: parsing all of its JSON (about 2.5 kB an issue on
Cloud, nearly all of it icons, avatars and links the core never reads), checking the JSON types of the values
the core reads (``pages.issue_problem``), then reading them. Here pydantic parses the page straight into
plain dicts of just those values, checking their types on the way (strict: text must be JSON text), at about
the cost of parsing alone, and ``read_page`` then skips the type checks: parse and read together cost about a
sixth less (BENCHMARKS.md).

Only the type checks: what is not a JSON type (a key's form, how deeply a custom field or the state property
nests, the changelog) ``read_page`` still checks on every issue. A page that fails these types anywhere is
parsed again as it is (``orjson``) and read the careful way, issue by issue, so one bad issue costs itself alone
and the problems say the same, whichever path read the page; a fuzz test holds the two paths to that.

Where the two parsers differ, the page is no valid JSON or holds what no Jira writes, and the fast path reads
it more exactly: an integer beyond 64 bits (``orjson`` reads it as a float) or a ``NaN`` or ``Infinity`` in a
value the schema takes as it is, say a custom field (``orjson`` refuses the page; the field then does not match).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NotRequired

import orjson
from pydantic import ConfigDict, TypeAdapter, ValidationError
from typing_extensions import TypedDict  # pydantic needs its TypedDict before Python 3.12

from escalator.jira.snapshot import Deployment

__all__ = ["CheckedPage", "page_parser"]

_STRICT = ConfigDict(strict=True)


class CheckedPage(dict[str, Any]):
    """A search answer whose issues' JSON types ``read_page`` needs not check again."""


class _Keyed(TypedDict):
    __pydantic_config__ = _STRICT  # type: ignore[misc]
    key: str


class _Named(TypedDict):
    __pydantic_config__ = _STRICT  # type: ignore[misc]
    name: str


class _Category(TypedDict):
    """Only its ``key`` is read (any JSON here: the snapshot's validation checks it), so only its ``key`` is kept."""

    __pydantic_config__ = _STRICT  # type: ignore[misc]
    key: NotRequired[Any]


class _Status(TypedDict):
    __pydantic_config__ = _STRICT  # type: ignore[misc]
    name: str
    id: NotRequired[Any]
    statusCategory: NotRequired[_Category | None]


class _CloudPerson(TypedDict):
    __pydantic_config__ = _STRICT  # type: ignore[misc]
    accountId: str
    displayName: NotRequired[Any]


class _ServerPerson(TypedDict):
    __pydantic_config__ = _STRICT  # type: ignore[misc]
    name: str
    displayName: NotRequired[Any]


class _Fields(TypedDict):
    """The system fields as ``issue_problem`` checks them; the search asks for these and the policy's custom
    fields only, and the custom fields are kept as they are (any JSON: ``read_page`` checks how deeply they nest)."""

    __pydantic_config__ = ConfigDict(strict=True, extra="allow")  # type: ignore[misc]
    project: _Keyed
    issuetype: _Named
    status: NotRequired[_Status | None]
    priority: NotRequired[_Named | None]
    labels: NotRequired[list[str] | None]
    components: NotRequired[list[_Named] | None]
    created: str
    updated: NotRequired[str | None]


class _CloudFields(_Fields):
    assignee: NotRequired[_CloudPerson | None]
    reporter: NotRequired[_CloudPerson | None]


class _ServerFields(_Fields):
    assignee: NotRequired[_ServerPerson | None]
    reporter: NotRequired[_ServerPerson | None]


class _Issue(TypedDict):
    __pydantic_config__ = _STRICT  # type: ignore[misc]
    key: str
    id: NotRequired[Any]
    properties: NotRequired[dict[str, Any] | None]
    changelog: NotRequired[Any]


class _CloudIssue(_Issue):
    fields: _CloudFields


class _ServerIssue(_Issue):
    fields: _ServerFields


class _CloudPage(TypedDict):
    __pydantic_config__ = _STRICT  # type: ignore[misc]
    issues: list[_CloudIssue]
    nextPageToken: NotRequired[Any]
    isLast: NotRequired[Any]


class _ServerPage(TypedDict):
    __pydantic_config__ = _STRICT  # type: ignore[misc]
    issues: list[_ServerIssue]
    startAt: NotRequired[Any]
    maxResults: NotRequired[Any]
    total: NotRequired[Any]


_PAGES: dict[Deployment, TypeAdapter[Any]] = {"cloud": TypeAdapter(_CloudPage), "server": TypeAdapter(_ServerPage)}


def page_parser(deployment: Deployment) -> Callable[[bytes], Any]:
    """What parses a search answer's body: a ``CheckedPage`` when every issue has the JSON types the sweep reads,
    else the answer as it is (for ``read_page`` to check issue by issue; ``orjson``'s error if it is no JSON)."""
    schema = _PAGES[deployment]

    def parse(content: bytes) -> Any:
        try:
            return CheckedPage(schema.validate_json(content))
        except ValidationError:
            return orjson.loads(content)

    return parse
