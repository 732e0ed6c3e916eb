"""`genesys-cloud-dd`: the operator command line (check, agentless, emulator, flows, assets, report)."""
