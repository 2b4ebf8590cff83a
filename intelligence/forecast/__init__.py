"""Revenue forecast: weighted pipeline, Monte Carlo P10/P50/P90, period snapshots."""
