"""tunectl: operate LLM fine-tuning on Vertex AI as a managed, budgeted, auditable service."""

__version__ = "0.1.0"
