"""One module per API area; every module here is imported by routing.load_routes()."""
