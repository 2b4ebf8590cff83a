"""Churn risk and 3-year lifetime value of customers."""
