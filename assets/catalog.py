"""The video catalog as a node of the lineage: ingest, stats and remixes all start here."""

import dagster as dg

# The catalog (catalog.sqlite) is written by the folder and YouTube sensors and by
# `pattern-pivot add`, not by a run: an external asset, so the lineage starts where the data
# does.
video_catalog = dg.AssetSpec(
    "video_catalog", group_name="catalog", kinds={"sqlite"},
    description="Every registered video: files found in the watched folder and uploads of the "
                "configured YouTube channels (catalog.sqlite). Kept by the sensors and "
                "`pattern-pivot add`; each entry is one `videos` partition.")
