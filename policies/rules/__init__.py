"""Rule definitions, one module per concern. Each rule is data (`policies.model.Rule`) wrapping a
pure check; `policies.catalog` lists them in the order reports show them."""
