import dagster as dg

# One partition per catalog video, keyed by its content-derived id (file-..., yt-...).
videos_partitions = dg.DynamicPartitionsDefinition(name="videos")

# One partition per remix request, keyed by its content-derived id (remix-...).
remixes_partitions = dg.DynamicPartitionsDefinition(name="remixes")
