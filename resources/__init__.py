"""One ConfigurableResource per external system, each a thin shell over pattern_pivot."""

from resources.catalog import CatalogResource
from resources.embedder import EmbedderResource
from resources.llm import LLMResource
from resources.media_store import MediaStoreResource
from resources.remix_store import RemixStoreResource
from resources.renderer import RendererResource
from resources.stats_store import StatsStoreResource
from resources.transcriber import TranscriberResource
from resources.tts import TTSResource
from resources.vector_store import VectorStoreResource
from resources.youtube import YouTubeResource

__all__ = ["CatalogResource", "EmbedderResource", "LLMResource", "MediaStoreResource",
           "RemixStoreResource", "RendererResource", "StatsStoreResource",
           "TranscriberResource", "TTSResource", "VectorStoreResource", "YouTubeResource"]
