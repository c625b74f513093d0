"""What sitegen tells Prometheus: the pipeline's metrics (read from Postgres, exported by the
API) and the worker's Temporal SDK metrics. No database access and no routes here: the db
room reads, the api room serves, this room only names and shapes."""
