"""The catalog of tunable models and the rules it carries (`tunectl models`)."""
