"""Evidence packs pulled straight from Genesys Cloud (`genesys-cloud-dd report limits|licenses`).

Operator tooling: needs matplotlib (the `tools` extra), imported only when a chart is drawn.
"""
