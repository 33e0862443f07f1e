"""Helpers for the TTS, render, quality and compose tests: crafted media, frame decoding,
plans and a tiny Coqui model built on the spot (no voice ships offline)."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import numpy as np

from pattern_pivot.remix.types import EditPlan, Shot, SourceSpan
from tests.conftest import COCKATOO, JFK, MEDIA, ffmpeg

GRACE = MEDIA / "faces" / "grace_hopper.jpg"
SMALL = (180, 320)  # a 9:16 frame small enough to render in a second or two


def stripes_source(path: Path, seconds: float = 4.0) -> Path:
    """A 640x360 source: red | green | blue vertical thirds, a white band over the top tenth,
    with a 440 Hz tone. Scale-to-cover then centre-crop to 9:16 keeps only green and white."""
    ffmpeg("-f", "lavfi", "-i", f"color=c=red:s=640x360:r=25:d={seconds}",
           "-f", "lavfi", "-i", f"sine=f=440:d={seconds}",
           "-vf", "drawbox=x=213:y=0:w=214:h=360:c=0x00FF00:t=fill,"
           "drawbox=x=427:y=0:w=213:h=360:c=blue:t=fill,"
           "drawbox=x=0:y=0:w=640:h=36:c=white:t=fill",
           "-c:v", "libx264", "-pix_fmt", "yuv420p", "-c:a", "aac", "-shortest", str(path))
    return path


def talk_source(path: Path) -> Path:
    """JFK's speech (11 s) under a moving test picture: a source whose own audio is speech."""
    ffmpeg("-f", "lavfi", "-i", "testsrc2=s=320x240:r=25:d=11", "-i", str(JFK),
           "-c:v", "libx264", "-pix_fmt", "yuv420p", "-c:a", "aac", "-shortest", str(path))
    return path


def frame_at(video: Path, seconds: float) -> np.ndarray:
    """One decoded RGB frame (height, width, 3) as uint8."""
    probe = json.loads(subprocess.run(
        ["ffprobe", "-v", "error", "-select_streams", "v:0", "-show_entries",
         "stream=width,height", "-of", "json", str(video)],
        capture_output=True, check=True).stdout)["streams"][0]
    raw = subprocess.run(
        ["ffmpeg", "-v", "error", "-ss", f"{seconds:.3f}", "-i", str(video), "-frames:v", "1",
         "-f", "rawvideo", "-pix_fmt", "rgb24", "-"], capture_output=True, check=True).stdout
    return np.frombuffer(raw, dtype=np.uint8).reshape(probe["height"], probe["width"], 3)


def streams(video: Path) -> dict:
    return json.loads(subprocess.run(
        ["ffprobe", "-v", "error", "-show_format", "-show_streams", "-of", "json", str(video)],
        capture_output=True, check=True).stdout)


def narrated_plan(request_id: str = "remix-test", variant: int = 1, target: float = 7.0,
                  video_id: str = "v1", start: float = 1.0) -> EditPlan:
    """Card, muted b-roll from ``video_id`` and a still, each with a line of narration."""
    return EditPlan(request_id=request_id, variant=variant, mode="narrated", aspect="9:16",
                    target_seconds=target, title="Cockatoos", shots=(
        Shot(kind="card", duration=2.0, role="hook", text="Why cockatoos scream",
             narration="Why do cockatoos scream?"),
        Shot(kind="source", duration=3.0, span=SourceSpan(video_id=video_id, start=start,
                                                          end=start + 3.0),
             narration="They call to keep the flock together."),
        Shot(kind="still", duration=2.0, role="ending", image=str(GRACE),
             narration="Follow for more."),
    ))


def supercut_plan(request_id: str, video_id: str, start: float, seconds: float,
                  target: float | None = None, variant: int = 1) -> EditPlan:
    return EditPlan(request_id=request_id, variant=variant, mode="supercut", aspect="9:16",
                    target_seconds=target or seconds, shots=(
        Shot(kind="source", duration=seconds, source_audio=True,
             span=SourceSpan(video_id=video_id, start=start, end=start + seconds)),))


def tiny_coqui_model(folder: Path) -> tuple[Path, Path]:
    """A randomly initialised, very small VITS model saved as Coqui checkpoint + config."""
    import torch
    from TTS.tts.configs.shared_configs import CharactersConfig
    from TTS.tts.configs.vits_config import VitsConfig
    from TTS.tts.models.vits import Vits, VitsArgs

    torch.manual_seed(0)
    args = VitsArgs(hidden_channels=16, hidden_channels_ffn_text_encoder=32,
                    num_heads_text_encoder=2, num_layers_text_encoder=1,
                    upsample_rates_decoder=[8, 8, 4], upsample_initial_channel_decoder=32,
                    upsample_kernel_sizes_decoder=[16, 16, 8], resblock_kernel_sizes_decoder=[3],
                    resblock_dilation_sizes_decoder=[[1, 3, 5]], num_layers_flow=1,
                    num_layers_posterior_encoder=1, out_channels=513, init_discriminator=False)
    config = VitsConfig(
        model_args=args, use_phonemes=False, text_cleaner="english_cleaners",
        characters=CharactersConfig(
            characters_class="TTS.tts.models.vits.VitsCharacters", pad="_", eos="", bos="",
            blank=None, characters="abcdefghijklmnopqrstuvwxyz ", punctuations=".,!?'-",
            phonemes=None))
    config.audio.sample_rate = 22050
    model = Vits(config)
    folder.mkdir(parents=True, exist_ok=True)
    checkpoint, config_path = folder / "model.pth", folder / "config.json"
    torch.save({"model": model.state_dict()}, checkpoint)
    config.save_json(str(config_path))
    return checkpoint, config_path


__all__ = ["COCKATOO", "GRACE", "JFK", "SMALL", "frame_at", "narrated_plan", "streams",
           "stripes_source", "supercut_plan", "talk_source", "tiny_coqui_model"]
