"""The Pulumi program for a tuning environment (run by `pulumi up`, or offline by `tunectl infra plan`)."""
