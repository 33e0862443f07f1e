"""Working audio between enhancement steps: headerless float32 samples on disk, read back a
block at a time (never loaded whole) and handed to ffmpeg with their format."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

# A short fade either side of every cut, so a join never clicks.
JOIN_FADE_S = 0.01
COPY_BLOCK_FRAMES = 480_000


@dataclass(frozen=True)
class RawAudio:
    path: Path
    rate: int
    channels: int

    @property
    def input_options(self) -> list[str]:
        """What ffmpeg needs before ``-i path`` to read these samples."""
        return ["-f", "f32le", "-ar", str(self.rate), "-ac", str(self.channels)]

    @property
    def frames(self) -> int:
        return self.path.stat().st_size // (4 * self.channels)

    @property
    def duration(self) -> float:
        return self.frames / self.rate

    def read(self, start: int, count: int) -> np.ndarray:
        """``count`` frames from frame ``start``, shape (frames, channels)."""
        with open(self.path, "rb") as f:
            f.seek(start * 4 * self.channels)
            data = np.fromfile(f, dtype=np.float32, count=count * self.channels)
        return data.reshape(-1, self.channels)

    def keep(self, spans: Sequence[tuple[float, float]], target: Path) -> "RawAudio":
        """Only ``spans`` (seconds, in order) of this audio, joined with short fades; read
        and written a block at a time."""
        fade = max(1, int(JOIN_FADE_S * self.rate))
        frames = self.frames
        with open(target, "wb") as out:
            for number, (start, end) in enumerate(spans):
                a, b = int(round(start * self.rate)), min(frames, int(round(end * self.rate)))
                for at in range(a, b, COPY_BLOCK_FRAMES):
                    block = self.read(at, min(b, at + COPY_BLOCK_FRAMES) - at)
                    if number > 0 and at == a:  # fade in after a cut
                        n = min(fade, len(block))
                        block[:n] *= np.linspace(0.0, 1.0, n, dtype=np.float32)[:, None]
                    if number < len(spans) - 1 and at + COPY_BLOCK_FRAMES >= b:  # fade out
                        n = min(fade, len(block))
                        block[len(block) - n:] *= np.linspace(1.0, 0.0, n,
                                                              dtype=np.float32)[:, None]
                    out.write(block.tobytes())
        return RawAudio(Path(target), self.rate, self.channels)
