"""One sweep without Prefect: its parameters, what part of each scope it covers, the policies it runs, applying
a plan through a writer, the per-policy lock, what it records and reports. The Prefect flow
(``flows/escalate.py``) strings these together; sharding (``escalator.sharding``) is a layer above."""
