"""The tuning-environment guardrails: a CrossGuard policy pack whose rules are plain functions.

Rule modules (`policies.rules.*`) import nothing from `pulumi_policy`, so the main environment
(protobuf 6, which `pulumi-policy` cannot load) tests them directly and `tunectl infra plan` runs
them offline over the mocked inventory. Only `policies.pack` and `policies/__main__.py` touch
`pulumi_policy`, in the pack's own environment (`.venv-policy`).
"""
