"""The board domain both stores share: entry model, comparability, naming, lifecycle rules, ranking and tiers. It imports neither store."""
