"""escalator's side of Prefect that is not a flow or a task: global concurrency limits, a local server, the
deployments of ``prefect.yaml``."""
