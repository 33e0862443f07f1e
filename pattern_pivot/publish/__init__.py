"""Publishing rendered outputs: copy, thumbnails and the YouTube upload (no Dagster)."""
