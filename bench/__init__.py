"""``make bench``: the gateway's throughput and latency against ceilings measured in the same run.

See bench/README.md and docs/performance.md.
"""
