"""Where `land --format parquet` keeps its files: a local directory or an S3 prefix."""
