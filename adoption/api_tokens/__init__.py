"""API tokens: machine clients read the statistics API of a non-public dashboard."""
