"""The sandbox's HTTP routes, one module per area of Jira's REST API, plus the admin endpoint."""
