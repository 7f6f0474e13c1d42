"""The auditor's report over a period: computed from decision records and Jira's issue histories
(``compute``), as typed data (``model``), rendered as markdown (``as_markdown``) or a self-contained HTML page
with charts (``as_html``, ``charts``)."""
