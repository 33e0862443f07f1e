"""TTS: the bundled Piper voice end to end, Coqui's real loading and synthesis code on a tiny
model built here, espeak-ng, and word timings aligned with local Whisper."""

import shutil
import wave

import numpy as np
import pytest

from pattern_pivot.errors import ModelError, PatternPivotError, ToolMissingError
from pattern_pivot.media.loudness import measure_file
from pattern_pivot.transcription.types import Word
from pattern_pivot.transcription.whisper import FasterWhisperTranscriber
from pattern_pivot.tts import TTSConfig, make_engine, narrate
from pattern_pivot.tts.align import align
from tests.render_support import tiny_coqui_model

SCRIPT_A = "Why do cockatoos scream? They call to keep the flock together."
SCRIPT_B = "Follow for more."


def _wav_facts(path):
    with wave.open(str(path), "rb") as reader:
        return reader.getframerate(), reader.getnchannels(), reader.getnframes()


@pytest.fixture(scope="module")
def piper():
    return make_engine(TTSConfig())


def test_piper_narration_is_timed_normalised_and_aligned(piper, tmp_path):
    config = TTSConfig(sentence_pause=0.3)
    out = tmp_path / "narration.wav"
    result = narrate(piper, [(0.0, SCRIPT_A), (6.0, SCRIPT_B)], out, config,
                     FasterWhisperTranscriber("tiny.en", beam_size=1))
    rate, channels, frames = _wav_facts(out)
    assert (rate, channels) == (22050, 1)
    assert frames / rate == pytest.approx(result.duration, abs=0.01)
    # Three sentences; the second cue waits for its shot at 6 s.
    assert [s[2] for s in result.sentences] == ["Why do cockatoos scream?",
                                                "They call to keep the flock together.",
                                                "Follow for more."]
    assert result.sentences[1][0] >= result.sentences[0][1] + 0.29
    assert result.sentences[2][0] == pytest.approx(6.0, abs=0.01)
    assert 7.0 < result.duration < 10.0
    assert measure_file(out).integrated == pytest.approx(-16.0, abs=1.0)
    # Every script word captioned, in order, at times Whisper heard most of them.
    assert [w.text for w in result.words] == (SCRIPT_A + " " + SCRIPT_B).split()
    assert result.timing_source == "asr" and result.stats["asr_matched_fraction"] >= 0.7
    starts = [w.start for w in result.words]
    assert starts == sorted(starts) and result.words[-1].end <= result.duration
    follow = next(w for w in result.words if w.text == "Follow")
    assert follow.start >= 5.9


def test_piper_speaks_the_same_text_as_the_same_samples(piper):
    # VITS noise made every take differ (length and timbre), so remixes and the sample
    # channel changed run to run; another sentence in between must not matter either.
    first = piper.synthesize(SCRIPT_B)
    piper.synthesize(SCRIPT_A)
    assert len(first) > 0 and np.array_equal(piper.synthesize(SCRIPT_B), first)


def test_piper_speed_and_a_bad_speed(tmp_path):
    slow = make_engine(TTSConfig(speed=0.8)).synthesize(SCRIPT_B)
    fast = make_engine(TTSConfig(speed=1.6)).synthesize(SCRIPT_B)
    assert len(fast) < 0.75 * len(slow)
    with pytest.raises(PatternPivotError, match="outside 0.25-4.0"):
        make_engine(TTSConfig(speed=9))


def test_coqui_loads_a_configured_checkpoint_and_speaks(tmp_path):
    checkpoint, config_path = tiny_coqui_model(tmp_path / "vits")
    config = TTSConfig(backend="coqui", model=str(checkpoint), config_path=str(config_path),
                       align="synthesis")
    engine = make_engine(config)
    assert engine.name == "coqui:model.pth" and engine.sample_rate == 22050
    result = narrate(engine, [(0.0, "Hello there. This is a test.")], tmp_path / "c.wav", config)
    rate, _, frames = _wav_facts(tmp_path / "c.wav")
    assert rate == 22050
    # A random model babbles, but for a plausible length: some speech per sentence.
    assert 0.5 < frames / rate < 15
    assert len(result.sentences) == 2 and len(result.words) == 6
    assert measure_file(tmp_path / "c.wav").integrated == pytest.approx(-16.0, abs=1.5)


def test_coqui_errors_name_the_fix(tmp_path):
    with pytest.raises(ModelError, match="is not configured"):
        make_engine(TTSConfig(backend="coqui"))
    with pytest.raises(ModelError, match="not in the local Coqui cache"):
        make_engine(TTSConfig(backend="coqui", model="tts_models/en/ljspeech/vits-none"))
    (tmp_path / "model.pth").write_bytes(b"not a checkpoint")
    with pytest.raises(ModelError, match="needs a checkpoint file and its config"):
        make_engine(TTSConfig(backend="coqui", model=str(tmp_path / "model.pth")))


def test_espeak_speaks_or_says_how_to_install_it(tmp_path, monkeypatch):
    if shutil.which("espeak-ng"):
        config = TTSConfig(backend="espeak", align="synthesis")
        result = narrate(make_engine(config), [(0.0, "Hello from espeak.")],
                         tmp_path / "e.wav", config)
        assert result.engine == "espeak-ng:en-us" and 0.5 < result.duration < 5
    monkeypatch.setattr(shutil, "which", lambda name: None)
    with pytest.raises(ToolMissingError, match="apt-get install espeak-ng"):
        make_engine(TTSConfig(backend="espeak"))


def test_unknown_backend_and_empty_text(piper, tmp_path):
    with pytest.raises(PatternPivotError, match="use one of piper, coqui, espeak"):
        make_engine(TTSConfig(backend="polly"))
    with pytest.raises(PatternPivotError, match="no text to speak"):
        narrate(piper, [(0.0, "  ")], tmp_path / "x.wav")


def test_align_keeps_script_words_and_order_when_asr_misses_some():
    script = [Word(0.0, 0.4, "Ask"), Word(0.4, 0.8, "not,"), Word(0.8, 1.2, "what"),
              Word(1.2, 1.6, "your"), Word(1.6, 2.0, "country")]
    heard = [Word(0.1, 0.35, "ask", 0.9), Word(0.9, 1.1, "what", 0.9),
             Word(1.6, 2.2, "country", 0.8)]
    timed = align(script, heard)
    assert [w.text for w in timed] == ["Ask", "not,", "what", "your", "country"]
    assert (timed[0].start, timed[2].start, timed[4].start) == (0.1, 0.9, 1.6)
    assert timed[1].start >= timed[0].end and timed[1].end <= timed[2].start
    assert timed[3].start >= timed[2].end and timed[3].end <= timed[4].start
    assert [w.prob > 0 for w in timed] == [True, False, True, False, True]
