"""One frame streamer serves reframing (BGR) and thumbnail scoring (RGB)."""

import numpy as np
import pytest

from pattern_pivot.errors import MediaError
from pattern_pivot.media.frames import stream_frames
from tests.conftest import COCKATOO


def test_frames_stream_at_the_rate_and_size_asked_in_either_channel_order():
    bgr = list(stream_frames(COCKATOO, (64, 36), 4.0, start=1.0, duration=1.0))
    rgb = list(stream_frames(COCKATOO, (64, 36), 4.0, start=1.0, duration=1.0,
                             pixel_format="rgb24"))
    assert len(bgr) == len(rgb) == 4  # 1 s at 4 fps
    assert all(f.shape == (36, 64, 3) and f.dtype == np.uint8 for f in bgr)
    assert np.array_equal(bgr[2][:, :, ::-1], rgb[2])
    assert not np.array_equal(bgr[0], bgr[3])  # frames move on through the span


def test_an_undecodable_file_names_what_needed_it_and_why(tmp_path):
    broken = tmp_path / "broken.mp4"
    broken.write_bytes(b"\0" * 4096)
    with pytest.raises(MediaError, match=r"broken.mp4: could not be decoded for thumbnails \("):
        list(stream_frames(broken, (64, 36), 2.0, purpose="thumbnails"))
