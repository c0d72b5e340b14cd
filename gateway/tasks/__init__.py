"""Background work: a transactional outbox, the task registry, and two ways to run tasks.

Tasks are named ``"<domain>.<verb>"``, take ids, lock and re-check, and are idempotent. The
database, not the queue, is the source of truth: periodic sweeps re-drive anything a lost
message or a crashed worker left behind.
"""
