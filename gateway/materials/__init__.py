"""Materials: files uploaded by content hash before the signed request that references them."""
