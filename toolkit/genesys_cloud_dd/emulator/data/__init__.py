"""Domain ground truth derived from the org's seed, one module per domain, attached with org.ext(factory)."""
