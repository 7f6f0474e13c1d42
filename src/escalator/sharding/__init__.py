"""A sweep split into shards that Prefect workers run as separate flow runs: a layer over the plain sweep."""
