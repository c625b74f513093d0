"""The design chain: wireframes and style guides made from a project's artifacts, and the
pages that show them. Depends on contracts only."""
