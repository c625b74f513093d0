"""The local stack: embedded Postgres, the Temporal dev server, worker, API and static host."""
