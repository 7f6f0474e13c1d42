"""One sweep without Prefect: its parameters, the policies it runs, applying a plan through a writer, the
per-policy lock, what it records and reports. The Prefect flow (``flows/escalate.py``) strings these together."""
