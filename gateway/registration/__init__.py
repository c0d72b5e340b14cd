"""The register (登记簿) as far as the spine needs it, and certificate numbers."""
