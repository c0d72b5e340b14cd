"""Review: the queue ordered by deadline, claiming, and decisions."""
