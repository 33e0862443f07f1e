"""One ConfigurableResource per external system, each a thin shell over pattern_pivot."""

from resources.catalog import CatalogResource
from resources.embedder import EmbedderResource
from resources.media_store import MediaStoreResource
from resources.renderer import RendererResource
from resources.transcriber import TranscriberResource
from resources.tts import TTSResource
from resources.vector_store import VectorStoreResource

__all__ = ["CatalogResource", "EmbedderResource", "MediaStoreResource", "TranscriberResource",
           "VectorStoreResource"]

from resources.stats_store import StatsStoreResource  # noqa: E402
from resources.youtube import YouTubeResource  # noqa: E402

__all__ += ["StatsStoreResource", "YouTubeResource"]
__all__ += ["RendererResource", "TTSResource"]
