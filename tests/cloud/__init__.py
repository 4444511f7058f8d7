"""Local Google Cloud API servers that enforce the published contracts (see README.md here)."""
