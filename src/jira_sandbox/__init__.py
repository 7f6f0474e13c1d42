"""A Jira-compatible REST server (Cloud or Data Center flavour) for demos, rehearsals and tests.

escalator's core never imports this package. Start one with `escalator sandbox start`, or in tests
with `jira_sandbox.testing.running_sandbox()`; the demo organisation's constants are in
`jira_sandbox.demo`. See README.md beside this file.
"""

__all__: list[str] = []
