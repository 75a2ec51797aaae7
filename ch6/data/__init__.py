"""Data: download and verify the real data sets, load them, and generate the offline sample data."""

SEED = 2026      # the sample data's default seed: the committed notebooks ran on it
