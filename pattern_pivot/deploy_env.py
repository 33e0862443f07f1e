"""Every environment variable PatternPivot reads, in one list, for deployments.

``scripts/deploy_env.py`` writes it into docker/docker-compose.yml (what every service
gets), docker/dagster.yaml (what the run launcher passes to each run container) and
docker/helm/values.yaml (the Kubernetes twin); a test checks those files match this list and
that the code reads no variable missing from it, so a new setting cannot be forgotten in a
deployment. Secrets are passed by name only; their values come from docker/.env or a
Kubernetes Secret, never from these files.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class DeployVar:
    name: str
    # The compose value: "${NAME:-default}" for a setting with this default ("" = the code's
    # own default), or a fixed value; None for variables the image itself sets (Dockerfile).
    compose_default: str | None = ""
    secret: bool = False
    required: str = ""  # when set, compose refuses to start without it, saying this

    def compose_value(self) -> str:
        if self.required:
            return f"${{{self.name}:?{self.required}}}"
        return f"${{{self.name}:-{self.compose_default}}}"


_PG_PASSWORD = "set DAGSTER_POSTGRES_PASSWORD in docker/.env (e.g. openssl rand -hex 24)"

DEPLOY_VARS: tuple[DeployVar, ...] = (
    # Dagster's instance (docker/dagster.yaml reads these).
    DeployVar("DAGSTER_POSTGRES_HOST", "postgres"),
    DeployVar("DAGSTER_POSTGRES_USER", "dagster"),
    DeployVar("DAGSTER_POSTGRES_PASSWORD", secret=True, required=_PG_PASSWORD),
    DeployVar("DAGSTER_POSTGRES_DB", "dagster"),
    # Where data lives: fixed by the image (the /data volume), except the media store.
    DeployVar("DAGSTER_HOME", None),
    DeployVar("PATTERN_PIVOT_DATA_DIR", None),
    DeployVar("PATTERN_PIVOT_CATALOG", None),
    DeployVar("PATTERN_PIVOT_WATCH_DIR", None),
    DeployVar("PATTERN_PIVOT_CACHE_DIR", None),
    DeployVar("PATTERN_PIVOT_MEDIA_ROOT", "/data/media"),  # or s3://bucket/prefix
    DeployVar("PATTERN_PIVOT_MEDIA_CACHE", "/data/media-cache"),
    DeployVar("PATTERN_PIVOT_REMIX_DIR"),
    DeployVar("PATTERN_PIVOT_IMAGE_DIR"),
    # Models.
    DeployVar("PATTERN_PIVOT_ASR_MODEL", "base"),
    DeployVar("PATTERN_PIVOT_EMBEDDING_MODEL"),
    DeployVar("PATTERN_PIVOT_EMBEDDING_BACKEND"),
    DeployVar("PATTERN_PIVOT_GLOSSARY"),
    # Vectors and stats.
    DeployVar("PATTERN_PIVOT_MILVUS_URI"),
    DeployVar("PATTERN_PIVOT_MILVUS_TOKEN", secret=True),
    DeployVar("PATTERN_PIVOT_STATS_BACKEND", "sqlite"),
    DeployVar("PATTERN_PIVOT_STATS_DB"),
    DeployVar("PATTERN_PIVOT_DYNAMODB_ENDPOINT"),
    DeployVar("PATTERN_PIVOT_DYNAMODB_TABLE", "pattern-pivot-video-stats"),
    DeployVar("PATTERN_PIVOT_STATS_START"),
    DeployVar("PATTERN_PIVOT_WEIGHT_BY_PERFORMANCE"),
    # AWS (S3 media, DynamoDB): the standard chain. On AWS prefer a task or pod role and
    # leave the keys empty. AWS_ENDPOINT_URL_S3 points S3 at MinIO or another compatible store.
    DeployVar("AWS_REGION", "us-east-1"),
    DeployVar("AWS_DEFAULT_REGION"),
    DeployVar("AWS_ACCESS_KEY_ID", secret=True),
    DeployVar("AWS_SECRET_ACCESS_KEY", secret=True),
    DeployVar("AWS_SESSION_TOKEN", secret=True),
    DeployVar("AWS_ENDPOINT_URL_S3"),
    # Script writers: OpenAI-compatible providers and the keys they name (api_key_env).
    DeployVar("PATTERN_PIVOT_LLM_PROVIDERS"),
    DeployVar("PATTERN_PIVOT_LLM_KEY_VARS"),
    DeployVar("PATTERN_PIVOT_LOCAL_LLM"),
    DeployVar("OPENAI_API_KEY", secret=True),
    DeployVar("GROQ_API_KEY", secret=True),
    DeployVar("OPENROUTER_API_KEY", secret=True),
    DeployVar("PATTERN_PIVOT_IMAGES"),
    # Narration and subtitles.
    DeployVar("PATTERN_PIVOT_TTS_BACKEND", "piper"),
    DeployVar("PATTERN_PIVOT_TTS_MODEL"),
    DeployVar("PATTERN_PIVOT_TTS_CONFIG"),
    DeployVar("PATTERN_PIVOT_SUBTITLE_LANGUAGES"),
    DeployVar("PATTERN_PIVOT_LANGUAGES"),
    DeployVar("PATTERN_PIVOT_ENHANCE_SPEECH"),
    # The UI's in-place previews and the HTTP API.
    DeployVar("PATTERN_PIVOT_PREVIEW_URL"),
    DeployVar("PATTERN_PIVOT_API_KEY_SHA256", secret=True),
    DeployVar("PATTERN_PIVOT_API_MAX_UPLOAD_MB"),
    DeployVar("PATTERN_PIVOT_API_RATE_PER_MINUTE"),
    DeployVar("PATTERN_PIVOT_API_WORKERS"),
    # YouTube.
    DeployVar("PATTERN_PIVOT_YOUTUBE_API_KEY", secret=True),
    DeployVar("PATTERN_PIVOT_YOUTUBE_CHANNELS"),
    DeployVar("PATTERN_PIVOT_YOUTUBE_API_ENDPOINT"),
    DeployVar("PATTERN_PIVOT_YOUTUBE_DOWNLOAD_URL"),
    DeployVar("PATTERN_PIVOT_YOUTUBE_CAPTIONS"),
    DeployVar("PATTERN_PIVOT_YOUTUBE_MAX_HEIGHT"),
    DeployVar("PATTERN_PIVOT_YOUTUBE_MAX_DURATION_S"),
    DeployVar("PATTERN_PIVOT_YOUTUBE_MAX_FILESIZE_MB"),
    DeployVar("PATTERN_PIVOT_YOUTUBE_CLIENT_SECRETS", secret=True),
    DeployVar("PATTERN_PIVOT_YOUTUBE_TOKEN", secret=True),
)


def passed_vars() -> list[DeployVar]:
    """The variables a deployment passes (the rest the image sets)."""
    return [v for v in DEPLOY_VARS if v.compose_default is not None]
