"""LLM gateway: providers with an offline engine, prompts, usage, budgets, feature flags."""
