"""The presentation stage for one video: slides from its transcript, the deck (HTML),
recorded and composited beside the speaker. Written atomically, skipped when unchanged.

Layout: ``video_presentation/<video>/presentation.mp4``, ``deck.html``, ``slides.json``."""

from __future__ import annotations

import json
import tempfile
from dataclasses import dataclass
from pathlib import Path

from pattern_pivot import ingest
from pattern_pivot.hashing import file_sha256, inputs_digest
from pattern_pivot.highlights.find import Embedder
from pattern_pivot.media.store import MediaStore
from pattern_pivot.present.deck import DEFAULT_THEME, build_deck
from pattern_pivot.present.record import composite, screenshot_slides
from pattern_pivot.present.slides import Slide, make_slides
from pattern_pivot.render.sources import SourceResolver
from pattern_pivot.transcription.types import Transcript

PRESENTATION_ASSET = "video_presentation"
NAMES = {"video": "presentation.mp4", "deck": "deck.html", "slides": "slides.json"}
_VERSION = "present-v1"


@dataclass(frozen=True)
class PresentationOutput:
    video: Path
    deck: Path
    slides: tuple[Slide, ...]
    cached: bool


def store_presentation(store: MediaStore, video_id: str, title: str, sources: SourceResolver,
                       size: tuple[int, int] = (1920, 1080), theme: Path | None = None,
                       embedder: Embedder | None = None, embedder_name: str = "-",
                       framing: str = "auto") -> PresentationOutput:
    transcript_out = ingest.stored_output(store, ingest.TRANSCRIPT, video_id,
                                          ingest.TRANSCRIPT_NAME)
    source = sources(video_id)
    theme = Path(theme) if theme else DEFAULT_THEME
    theme_id = file_sha256(theme) if theme.is_file() else str(theme)
    fingerprint = inputs_digest(transcript_out.fingerprint, str(source.path), title,
                                f"{size[0]}x{size[1]}", theme_id, embedder_name, framing,
                                _VERSION)
    paths = {k: store.path(PRESENTATION_ASSET, video_id, v) for k, v in NAMES.items()}
    if all(store.is_current(PRESENTATION_ASSET, video_id, v, fingerprint)
           for v in NAMES.values()):
        slides = tuple(Slide(**(s | {"bullets": tuple(s["bullets"])})) for s in
                       json.loads(paths["slides"].read_text(encoding="utf-8")))
        return PresentationOutput(paths["video"], paths["deck"], slides, True)
    slides = make_slides(Transcript.read_json(transcript_out.path), source.info.duration,
                         f"video {video_id}", embedder)
    deck = build_deck(slides, title, theme)
    with tempfile.TemporaryDirectory(prefix="pp-slides-") as tmp:
        shots = screenshot_slides(deck, slides, (size[0] // 2 // 2 * 2, size[1]), Path(tmp))
        with store.atomic_write(PRESENTATION_ASSET, video_id, NAMES["video"],
                                fingerprint) as out:
            composite(source.path, shots, slides, out, size, framing=framing)
    with store.atomic_write(PRESENTATION_ASSET, video_id, NAMES["deck"], fingerprint) as out:
        out.write_text(deck, encoding="utf-8")
    with store.atomic_write(PRESENTATION_ASSET, video_id, NAMES["slides"], fingerprint) as out:
        out.write_text(json.dumps([s.to_dict() for s in slides], indent=1), encoding="utf-8")
    return PresentationOutput(paths["video"], paths["deck"], tuple(slides), False)
