"""Tooling for the integration's dashboards and recommended monitors (`genesys-cloud-dd assets ...`).

validate.py checks every asset offline, deploy.py creates or updates them in a Datadog org, evaluate.py runs the
monitors' thresholds against one check run, query.py parses the Datadog query languages they use.
datadog-api-client is imported lazily, only by validate and deploy: the check itself never needs it.
"""
