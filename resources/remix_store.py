from pathlib import Path

import dagster as dg

from pattern_pivot.remix.store import RemixStore


class RemixStoreResource(dg.ConfigurableResource):
    """Remix requests (a SQLite file next to the catalog) and the folder where request files
    (YAML or JSON) are dropped for the remix sensor."""

    path: str
    requests_dir: str

    def store(self) -> RemixStore:
        return RemixStore(Path(self.path))
