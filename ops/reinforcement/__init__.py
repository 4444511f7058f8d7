"""Reinforcement fine-tuning of Gemini: reward configs as files, and scoring them before a run."""
