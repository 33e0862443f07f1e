"""Fixtures for the remix tests: small real catalogs of the sample channel's scripts, and a
local HTTP server that speaks the OpenAI chat API for fallback tests.

Two worlds: ``build_catalog`` (cheap: every script's transcript with steady synthetic word
timings, indexed in Milvus Lite) for retrieval and planning, and ``build_media_catalog`` (real:
the start of each script spoken by the bundled Piper voice over a moving test picture,
registered in the catalog and ingested like any video, transcribed by tiny Whisper) for runs
that render. Video ids are content ids either way; ``RemixWorld.ids`` maps script slugs to them.
"""

from __future__ import annotations

import hashlib
import json
import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import TYPE_CHECKING

from pattern_pivot import ingest
from pattern_pivot.catalog import Catalog, local_video_id
from pattern_pivot.ingest import TRANSCRIPT, TRANSCRIPT_NAME
from pattern_pivot.media.store import LocalMediaStore
from pattern_pivot.retrieval.chunking import ChunkOptions
from pattern_pivot.retrieval.embeddings import SentenceEmbedder
from pattern_pivot.retrieval.index import index_transcript
from pattern_pivot.retrieval.milvus_store import MilvusChunkStore
from pattern_pivot.sample_channel.narration import load_voice, narrate
from pattern_pivot.sample_channel.scripts import SCRIPTS, Script
from pattern_pivot.transcription.types import Segment, Transcript, Word
from pattern_pivot.transcription.whisper import FasterWhisperTranscriber
from tests.conftest import ffmpeg
from tests.http_support import LocalServer

if TYPE_CHECKING:
    from piper import PiperVoice

SMALL_CHUNKS = ChunkOptions(target_seconds=10, max_seconds=16)
# Seconds of each script the media world speaks: enough for a 20 s remix on one topic, and
# about five seconds of synthesis, encoding and transcription per video on two cores.
MEDIA_SECONDS = 32.0


@dataclass(frozen=True)
class RemixWorld:
    media: LocalMediaStore
    vectors: MilvusChunkStore
    ids: dict[str, str]  # sample script slug -> catalog video id

    def video_id(self, slug: str) -> str:
        return self.ids[slug]


def spoken(text: str) -> Transcript:
    """Word timings as a steady speaker would produce them: 0.4 s a word, a pause after
    each sentence."""
    words, t = [], 0.0
    for token in text.split():
        words.append(Word(start=round(t, 3), end=round(t + 0.32, 3), text=token))
        t += 0.4 + (0.5 if token.endswith((".", "?", "!")) else 0.0)
    return Transcript(language="en", language_probability=1.0, duration=round(t + 0.5, 3),
                      segments=(Segment(words[0].start, words[-1].end, text, tuple(words)),),
                      model="reference")


def _stores(root: Path, embedder: SentenceEmbedder) -> tuple[LocalMediaStore, MilvusChunkStore]:
    return LocalMediaStore(root / "media"), MilvusChunkStore(
        str(root / "milvus.db"), model_name=embedder.name, dim=embedder.dimension)


def build_catalog(root: Path, embedder: SentenceEmbedder) -> RemixWorld:
    """Media store with each whole sample script's transcript (synthetic timings, no media
    files), and its chunks in Milvus Lite, under a content id of the script's text."""
    media, vectors = _stores(root, embedder)
    ids = {}
    with vectors.session():
        for script in SCRIPTS:
            transcript = spoken(script.text)
            vid = local_video_id(hashlib.sha256(script.text.encode()).hexdigest())
            with media.atomic_write(TRANSCRIPT, vid, TRANSCRIPT_NAME, "fixture") as tmp:
                transcript.write_json(tmp)
            index_transcript(vid, transcript, embedder, vectors, SMALL_CHUNKS)
            ids[script.slug] = vid
    return RemixWorld(media, vectors, ids)


def speaking_video(voice: PiperVoice, script: Script, folder: Path,
                   seconds: float = MEDIA_SECONDS) -> Path:
    """The first whole sentences of ``script`` (at most ``seconds``) spoken by Piper under a
    moving test picture: a small, cheap H.264/AAC source whose sound is real speech."""
    wav = folder / f"{script.slug}.wav"
    narration = narrate(voice, script, wav, max_seconds=seconds)
    video = folder / f"{script.slug}.mp4"
    ffmpeg("-f", "lavfi", "-i", f"testsrc2=s=256x144:r=10:d={narration.duration:.3f}",
           "-i", str(wav), "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p",
           "-g", "20", "-c:a", "aac", "-b:a", "64k", "-shortest", str(video))
    wav.unlink()
    return video


def build_media_catalog(root: Path, catalog_path: Path, embedder: SentenceEmbedder,
                        seconds: float = MEDIA_SECONDS) -> RemixWorld:
    """A catalog of real speaking videos, one per sample script, ingested the way
    ingest_job does it (stored source + probe + poster, speech audio, tiny.en transcript)
    and indexed in Milvus Lite under their catalog ids."""
    media, vectors = _stores(root, embedder)
    catalog = Catalog(catalog_path)
    folder = root / "sources"
    folder.mkdir(parents=True, exist_ok=True)
    voice = load_voice()
    transcriber = FasterWhisperTranscriber("tiny.en", beam_size=1)
    ids = {}
    with vectors.session():
        for script in SCRIPTS:
            entry = catalog.register_file(speaking_video(voice, script, folder, seconds))
            source, info = ingest.store_source(entry, media)
            ingest.store_poster(entry, media, source, info)
            audio = ingest.store_audio(entry, media, source, info)
            _, transcript = ingest.store_transcript(entry, media, audio, transcriber)
            index_transcript(entry.video_id, transcript, embedder, vectors, SMALL_CHUNKS)
            ids[script.slug] = entry.video_id
    return RemixWorld(media, vectors, ids)


class FakeOpenAI(LocalServer):
    """A local stdlib HTTP server answering /v1/chat/completions from a queue of
    (status, body) or (status, body, delay) replies, in the OpenAI API's real response
    shapes; a delay is seconds, or a threading.Event the reply waits for (a model still
    writing until the test lets it finish). Records requests; ``received`` is set at each."""

    def __init__(self, replies: list[tuple]):
        self.replies = list(replies)
        self.requests: list[dict] = []
        self.received = threading.Event()
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 - http.server's naming
                length = int(self.headers.get("Content-Length", 0))
                fake.requests.append({"path": self.path,
                                      "auth": self.headers.get("Authorization", ""),
                                      "body": json.loads(self.rfile.read(length) or b"{}")})
                status, body, *delay = fake.replies.pop(0) if fake.replies else (500, "none")
                fake.received.set()
                if delay and isinstance(delay[0], threading.Event):
                    delay[0].wait(timeout=600)  # bounded: a broken test must still end
                elif delay:
                    time.sleep(delay[0])
                if isinstance(body, str):  # the content of a successful completion
                    body = completion(body)
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                if status == 429:
                    self.send_header("Retry-After", "0")
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args):
                pass

        super().__init__(Handler)

    @property
    def base_url(self) -> str:
        return self.root_url + "/v1"


def completion(content: str) -> dict:
    return {"id": "chatcmpl-test", "object": "chat.completion", "created": 1_700_000_000,
            "model": "fake", "choices": [{"index": 0, "finish_reason": "stop",
                                          "message": {"role": "assistant", "content": content}}],
            "usage": {"prompt_tokens": 10, "completion_tokens": 10, "total_tokens": 20}}


def error_body(status: int) -> dict:
    kinds = {429: ("rate_limit_exceeded", "Rate limit reached"), 500: ("server_error",
                                                                        "Internal error")}
    code, message = kinds.get(status, ("error", "error"))
    return {"error": {"message": message, "type": code, "param": None, "code": code}}
