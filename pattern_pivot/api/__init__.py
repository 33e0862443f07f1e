"""The HTTP API and creator page: a thin layer over the Dagster instance (it registers
partitions and runs jobs in worker processes, like the CLI); the pipeline stays Dagster's."""
