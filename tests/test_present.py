"""Slides beside the speaker: sections and slides from a transcript (no model), and the
deck recorded in Debian's headless Chromium, checked frame by frame: each slide's accent
bar is on screen from its start time."""

from __future__ import annotations

import json
import subprocess

import dagster as dg
import numpy as np
import pytest

from assets.partitions import videos_partitions
from assets.present import video_presentation
from pattern_pivot.errors import PatternPivotError
from pattern_pivot.present.deck import accent, build_deck
from pattern_pivot.present.slides import make_slides
from pattern_pivot.transcription.types import Segment, Transcript, Word
from resources import EmbedderResource, RendererResource
from tests.test_trailer import talk  # noqa: F401  (the ingested talk, shared fixture)

SIZE = (640, 360)


def _transcript(lines: list[tuple[float, str]]) -> Transcript:
    segments = []
    for start, text in lines:
        words = tuple(Word(round(start + 0.35 * i, 2), round(start + 0.35 * i + 0.3, 2), token)
                      for i, token in enumerate(text.split()))
        segments.append(Segment(words[0].start, words[-1].end, text, words))
    end = segments[-1].end if segments else 0.0
    return Transcript("en", 1.0, end + 1, tuple(segments), "crafted")


def test_a_ten_second_talk_is_one_slide_and_silence_is_refused():
    short = _transcript([(0.2, "Pruning roses is simple."), (3.0, "Cut above an outward bud."),
                         (6.0, "Do it in late winter.")])
    [slide] = make_slides(short, 10.0, "video x")
    assert (slide.start, slide.end, slide.title) == (0.0, 10.0, "Pruning roses is simple.")
    assert slide.bullets == ("Cut above an outward bud.", "Do it in late winter.")
    with pytest.raises(PatternPivotError, match="presentation needs speech: video x: has no "
                                                "speech in its transcript"):
        make_slides(_transcript([]), 10.0, "video x")


def test_a_long_pause_starts_a_new_slide_and_the_deck_is_self_contained():
    roses = ["Roses need six hours of sun.", "Water them deeply once a week.",
             "Feed them with compost in spring.", "Mulch keeps their roots cool."]
    tomatoes = ["Now a word about tomato plants.", "They need strong stakes early on.",
                "Pick them when they are fully ripe.", "Save seeds from the best fruit."]
    lines, t = [], 0.2
    for topic in (roses, tomatoes):
        for text in topic:  # 2.1 s a sentence, 0.5 s between them, 2 s between topics
            lines.append((round(t, 2), text))
            t += 2.6
        t += 1.5
    slides = make_slides(_transcript(lines), t, "video y")
    assert [(s.start, s.title) for s in slides] == [(0.0, roses[0]), (lines[4][0], tomatoes[0])]
    assert slides[0].bullets == tuple(roses[1:]) and slides[0].end == slides[1].start
    deck = build_deck(slides, "Garden <talk>")
    assert "Garden &lt;talk&gt;" in deck and "http" not in deck and "showAt" in deck
    assert accent(1) in deck and accent(2) in deck


def _frame(video, at: float) -> np.ndarray:
    raw = subprocess.run(["ffmpeg", "-nostdin", "-v", "error", "-ss", f"{at:.3f}", "-i",
                          str(video), "-frames:v", "1", "-f", "rawvideo", "-pix_fmt", "rgb24",
                          "-"], capture_output=True, check=True).stdout
    return np.frombuffer(raw, dtype=np.uint8).reshape(SIZE[1], SIZE[0], 3)


def _rgb(hex_colour: str) -> np.ndarray:
    return np.array([int(hex_colour[i:i + 2], 16) for i in (1, 3, 5)])


@pytest.mark.slow
def test_each_slide_is_on_screen_from_its_time_beside_the_speaker(talk):  # noqa: F811
    settings, video_id, resources, _ = talk
    instance = dg.DagsterInstance.ephemeral()
    instance.add_dynamic_partitions(videos_partitions.name, [video_id])
    result = dg.materialize(
        [video_presentation], partition_key=video_id, instance=instance,
        resources={**resources, "embedder": EmbedderResource(),
                   "renderer": RendererResource(frame_width=SIZE[0], frame_height=SIZE[1])})
    assert result.success
    folder = settings.media_root / "video_presentation" / video_id
    slides = json.loads((folder / "slides.json").read_text())
    assert len(slides) >= 2 and slides[0]["start"] == 0.0
    video = folder / "presentation.mp4"
    for s in slides:  # the bar (top of the left half) shows this slide's accent ...
        for at in (s["start"] + 0.2, s["end"] - 0.2):
            bar = _frame(video, at)[4:10, 20:300].reshape(-1, 3).mean(axis=0)
            assert np.abs(bar - _rgb(accent(s["index"]))).max() < 30, (s, at, bar)
    # ... and the right half is the speaker's picture, not the deck's dark background.
    right = _frame(video, 1.0)[:, SIZE[0] // 2:].astype(float)
    assert right.mean() > 60 and right.std() > 20
    assert "<section class=\"slide\"" in (folder / "deck.html").read_text()
