"""Flow instrumentation kit: Architect flows post their failures straight to Datadog.

- `schema`: the one definition of the flow event (fields, tags, event types).
- `templates` / `archy`: the Data Action exports and Archy snippets generated from it; `render` writes them
  to `architect_snippets/`.
- `velocity`: renders a Data Action request the way Genesys Cloud does (tests, send-test, emulator).
- `deploy`: creates or updates the integration, credential and actions through the Genesys API.
- `sendtest`: posts sample events to Datadog with datadog-api-client (tooling only, imported lazily).

Nothing here is imported by the Agent check.
"""
