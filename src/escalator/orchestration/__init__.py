"""escalator's side of Prefect that is not a flow or a task: global concurrency limits (``limits``), a local
server (``server``), and the deployments of ``prefect.yaml`` read into typed specs (``deployments``)."""
