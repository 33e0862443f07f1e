"""Fixtures for the remix tests: a small real catalog (Milvus Lite + stored transcripts)
built from the sample channel's scripts with steady synthetic word timings, and a local
HTTP server that speaks the OpenAI chat API for fallback tests."""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from pattern_pivot.ingest import TRANSCRIPT, TRANSCRIPT_NAME
from pattern_pivot.media.store import LocalMediaStore
from pattern_pivot.retrieval.chunking import ChunkOptions
from pattern_pivot.retrieval.embeddings import SentenceEmbedder
from pattern_pivot.retrieval.index import index_transcript
from pattern_pivot.retrieval.milvus_store import MilvusChunkStore
from pattern_pivot.sample_channel.scripts import SCRIPTS
from pattern_pivot.transcription.types import Segment, Transcript, Word

SMALL_CHUNKS = ChunkOptions(target_seconds=10, max_seconds=16)


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


def video_id(slug: str) -> str:
    return f"file-{slug}"


def build_catalog(root: Path, embedder: SentenceEmbedder) -> tuple[LocalMediaStore,
                                                                    MilvusChunkStore]:
    """Media store with each sample script's transcript, and its chunks in Milvus Lite."""
    media = LocalMediaStore(root / "media")
    vectors = MilvusChunkStore(str(root / "milvus.db"), model_name=embedder.name,
                               dim=embedder.dimension)
    with vectors.session():
        for script in SCRIPTS:
            transcript = spoken(script.text)
            vid = video_id(script.slug)
            with media.atomic_write(TRANSCRIPT, vid, TRANSCRIPT_NAME, "fixture") as tmp:
                transcript.write_json(tmp)
            index_transcript(vid, transcript, embedder, vectors, SMALL_CHUNKS)
    return media, vectors


class FakeOpenAI:
    """A local stdlib HTTP server answering /v1/chat/completions from a queue of
    (status, body) or (status, body, delay seconds) replies, in the OpenAI API's real
    response shapes. Records requests."""

    def __init__(self, replies: list[tuple]):
        self.replies = list(replies)
        self.requests: list[dict] = []
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 - http.server's naming
                length = int(self.headers.get("Content-Length", 0))
                fake.requests.append({"path": self.path,
                                      "auth": self.headers.get("Authorization", ""),
                                      "body": json.loads(self.rfile.read(length) or b"{}")})
                status, body, *delay = fake.replies.pop(0) if fake.replies else (500, "none")
                if delay:
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

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/v1"

    def __enter__(self) -> "FakeOpenAI":
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()


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
