"""Evidence: the exact signed bytes, exported for a dispute."""
