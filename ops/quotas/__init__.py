"""Accelerator and tuning-job quotas: resolve ids, read limits and preferences, request and watch.

Everything here talks to Cloud Quotas through `google.cloud.cloudquotas_v1.CloudQuotasClient`
(built in `ops.clients`); the pure parts (resolution, preference status, ceilings, naming) take
plain values so they are testable without a server.
"""
