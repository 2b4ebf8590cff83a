"""Sentiment, reply intent, drafting and conversation insights."""
