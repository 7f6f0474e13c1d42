"""The audit trail: one versioned record per decision that mattered, and the run's summary."""
