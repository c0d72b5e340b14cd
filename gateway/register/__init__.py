"""The register (不动产登记簿): property units, owners, mortgages, seizures, objections, pre-notices."""
