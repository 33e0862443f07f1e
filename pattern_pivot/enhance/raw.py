"""Working audio between enhancement steps: headerless float32 samples on disk, read back
through a memory map (never loaded whole) and handed to ffmpeg with their format."""

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

    def samples(self) -> np.ndarray:
        """(frames, channels), memory-mapped read-only."""
        if self.frames == 0:
            return np.zeros((0, self.channels), dtype=np.float32)
        return np.memmap(self.path, dtype=np.float32, mode="r",
                         shape=(self.frames, self.channels))

    def keep(self, spans: Sequence[tuple[float, float]], target: Path) -> "RawAudio":
        """Only ``spans`` (seconds, in order) of this audio, joined with short fades."""
        data = self.samples()
        fade = max(1, int(JOIN_FADE_S * self.rate))
        with open(target, "wb") as out:
            for number, (start, end) in enumerate(spans):
                a, b = int(round(start * self.rate)), min(self.frames, int(round(end * self.rate)))
                for at in range(a, b, COPY_BLOCK_FRAMES):
                    block = np.array(data[at:min(b, at + COPY_BLOCK_FRAMES)])
                    if number > 0 and at == a:  # fade in after a cut
                        n = min(fade, len(block))
                        block[:n] *= np.linspace(0.0, 1.0, n, dtype=np.float32)[:, None]
                    if number < len(spans) - 1 and at + COPY_BLOCK_FRAMES >= b:  # fade out
                        n = min(fade, len(block))
                        block[len(block) - n:] *= np.linspace(1.0, 0.0, n,
                                                              dtype=np.float32)[:, None]
                    out.write(block.astype(np.float32).tobytes())
        return RawAudio(Path(target), self.rate, self.channels)
