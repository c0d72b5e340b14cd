"""Supervision (全节点效能监督): time at each step, deadlines at risk and overdue, metrics."""
