"""Batched, block-wise transcription keeps quality on any CPU: cuts land in pauses, chunks go
through the batched pipeline, a short tail block hears only itself, no loops, times stay
absolute."""

import json
import os
import re
import subprocess
import sys
import wave

import numpy as np
import pytest

from pattern_pivot.transcription.blocks import iter_speech_blocks
from pattern_pivot.transcription.repetition import RepeatFilter
from pattern_pivot.transcription.types import Word
from pattern_pivot.transcription.whisper import (
    FasterWhisperTranscriber,
    looks_hallucinated,
    whole_words,
)
from tests.conftest import JFK, REPO, ffmpeg, librivox_references, normalise, word_error_rate


@pytest.fixture(scope="module")
def reading(tmp_path_factory):
    """All five LibriVox utterances, one after another (24.7 s of real speech)."""
    refs = librivox_references()
    paths = sorted(refs)
    out = tmp_path_factory.mktemp("reading") / "reading.wav"
    inputs = [arg for p in paths for arg in ("-i", str(p))]
    ffmpeg(*inputs, "-filter_complex", f"concat=n={len(paths)}:v=0:a=1", "-ar", "16000",
           "-ac", "1", "-c:a", "pcm_s16le", str(out))
    return out, " ".join(refs[p] for p in paths)


@pytest.fixture(scope="module")
def whole(reading):
    """The reading transcribed in one block: the quality blocks must keep."""
    wav, reference = reading
    transcript = FasterWhisperTranscriber("tiny.en", block_seconds=600).transcribe(wav)
    assert transcript.stats["blocks"] == 1
    return transcript, word_error_rate([reference], [transcript.text])


def _samples(wav) -> np.ndarray:
    with wave.open(str(wav), "rb") as reader:
        raw = reader.readframes(reader.getnframes())
    return np.frombuffer(raw, dtype="<i2").astype(np.float32) / 32768.0


def _repeated_sentences(text: str) -> list[str]:
    """Sentences of four words or more said twice (a Whisper loop, not this reading)."""
    sentences = [" ".join(re.findall(r"[\w']+", s.lower())) for s in re.split(r"[.!?]", text)]
    long = [s for s in sentences if len(s.split()) >= 4]
    return sorted({s for s in long if long.count(s) > 1})


@pytest.mark.parametrize("block_seconds", [5, 7, 10, 12])
def test_blocks_are_cut_in_pauses_and_chunks_hold_all_the_speech(reading, block_seconds):
    wav, _ = reading
    audio = _samples(wav)
    blocks = list(iter_speech_blocks(wav, block_seconds))
    assert len(blocks) >= 2
    # Every sample once, in order, each block at its absolute offset, none longer than asked
    # unless it is a single chunk (the first reading has no pause in 7 s).
    assert np.array_equal(np.concatenate([b.samples for b in blocks]), audio)
    starts = np.cumsum([0] + [len(b.samples) for b in blocks[:-1]]) / 16000
    assert [b.offset for b in blocks] == pytest.approx(list(starts), abs=1e-9)
    assert all(len(b.samples) <= block_seconds * 16000 or len(b.chunks) == 1 for b in blocks)
    # Each cut is in a pause: the 200 ms around it is far quieter than the speech.
    frames = audio[: len(audio) // 800 * 800].reshape(-1, 800)
    rms = np.sqrt(np.square(frames).mean(axis=1))
    speech_rms = np.percentile(rms, 75)
    for offset in starts[1:]:
        at = int(offset * 16000)
        around = audio[at - 1600: at + 1600]
        assert np.sqrt(np.square(around).mean()) < 0.1 * speech_rms, offset
    # Chunks fit a block and Whisper's window, their pieces in order; every loud 50 ms of the
    # reading is in some chunk (VAD and packing drop pauses, never speech).
    heard = np.zeros(len(audio), dtype=bool)
    for block in blocks:
        base = int(round(block.offset * 16000))
        ends = [0]
        for chunk in block.chunks:
            assert 0 < chunk.samples <= 30 * 16000
            for a, b in chunk.pieces:
                assert ends[-1] <= a < b <= len(block.samples)
                ends.append(b)
                heard[base + a: base + b] = True
    loud = np.flatnonzero(rms > 0.5 * speech_rms)
    assert all(heard[i * 800: (i + 1) * 800].all() for i in loud)


@pytest.mark.parametrize("block_seconds", [5, 7, 10, 15])
def test_blocked_transcripts_keep_the_word_error_rate(reading, whole, block_seconds):
    wav, reference = reading
    whole_transcript, wer_whole = whole
    blocked = FasterWhisperTranscriber("tiny.en", block_seconds=block_seconds).transcribe(wav)
    assert blocked.stats["blocks"] >= 2
    wer_blocked = word_error_rate([reference], [blocked.text])
    assert wer_blocked < 0.2 and wer_blocked <= wer_whole + 0.08, (wer_whole, wer_blocked,
                                                                   blocked.text)
    assert _repeated_sentences(blocked.text) == []
    words = blocked.words
    assert all(a.start <= b.start for a, b in zip(words, words[1:]))
    assert words[-1].end == pytest.approx(whole_transcript.words[-1].end, abs=1.0)
    assert blocked.duration == pytest.approx(whole_transcript.duration, abs=0.01)


def _write(path, *parts: np.ndarray):
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(16000)
        out.writeframes((np.concatenate(parts) * 32768).astype("<i2").tobytes())
    return path


JFK_TEXT = (JFK.parent / "jfk-reference.txt").read_text()


def test_chunks_go_through_the_batched_pipeline_together(reading, tmp_path):
    """The reading and JFK twice (72 s) are three 30 s windows: one encoder pass takes them
    all, and the transcript is as good as the bare sequential decoder's, with word times on
    the file's clock. Unprompted, Whisper ended the last window at the pause before JFK: what
    is left of a window after its last word is decoded again."""
    wav, reference = reading
    reference = " ".join([reference, JFK_TEXT] * 2)
    both = _write(tmp_path / "both.wav", *[_samples(wav), _samples(JFK)] * 2)
    asr = FasterWhisperTranscriber("tiny.en")
    model = asr._load()
    batches = []
    encode = model.encode
    model.encode = lambda features: batches.append(len(features)) or encode(features)
    try:
        ours = asr.transcribe(both)
    finally:
        model.encode = encode
    assert (ours.stats["blocks"], ours.stats["chunks"]) == (1, 3)
    assert 3 in batches, batches  # the sequential decoder encodes one window at a time
    bare = " ".join(s.text for s in model.transcribe(str(both), word_timestamps=True,
                                                     vad_filter=True)[0])
    wer = word_error_rate([reference], [ours.text])
    assert wer < 0.1 and wer <= word_error_rate([reference], [bare]) + 0.05, ours.text
    second = len(_samples(wav)) / 16000 * 2 + 11.0  # the second JFK speaks from 0.3 s
    jfk_words = [w for w in ours.words if w.start >= second - 0.5]
    assert normalise(" ".join(w.text for w in jfk_words)).startswith("and so my fellow")
    assert jfk_words[0].start == pytest.approx(second + 0.3, abs=0.5)
    # JFK pauses half a second after "...can do for you": a word ends on its voice, so the
    # pause shows (one window's alignment lent it to "you"; cuts and captions need it).
    said = [normalise(w.text) for w in jfk_words]
    you = next(i for i in range(len(said) - 1) if said[i:i + 2] == ["you", "ask"])
    assert jfk_words[you + 1].start - jfk_words[you].end >= 0.3, jfk_words[you:you + 2]


@pytest.mark.parametrize("block_seconds", [27, 600])
def test_a_short_tail_after_a_long_block_hears_only_itself(reading, tmp_path, block_seconds):
    """The reading, 3 s of silence, then 2.6 s of JFK: in a block of its own (27) or in the
    reading's chunk with the silence cut out (600), the tail is what JFK said, at its time."""
    wav, reference = reading
    speech = _samples(wav)
    tail = _samples(JFK)[: int(2.6 * 16000)]
    path = _write(tmp_path / "tail.wav", speech, np.zeros(3 * 16000, np.float32), tail)
    transcript = FasterWhisperTranscriber("tiny.en", block_seconds=block_seconds).transcribe(path)
    assert transcript.stats["blocks"] == (2 if block_seconds == 27 else 1)
    start = len(speech) / 16000 + 3.0
    heard = [w for w in transcript.words if w.end > start - 1.0]
    assert word_error_rate(["and so my fellow americans"],
                           [" ".join(w.text for w in heard)]) <= 0.2, transcript.text
    assert all(start - 0.3 <= w.start < w.end <= start + 2.7 for w in heard), heard
    before = " ".join(w.text for w in transcript.words if w.end <= start - 1.0)
    assert word_error_rate([reference], [before]) < 0.2, before
    assert _repeated_sentences(transcript.text) == []


_OTHER_KERNELS = """
import json, sys
from pattern_pivot.transcription.whisper import (
    FasterWhisperTranscriber,
    looks_hallucinated,
    whole_words,
)
asr = FasterWhisperTranscriber("tiny.en")
for block_seconds in (7, 15):
    asr.block_seconds = block_seconds
    t = asr.transcribe(sys.argv[1])
    print(json.dumps({"block_seconds": block_seconds, "text": t.text,
                      "blocks": t.stats["blocks"]}))
"""


@pytest.mark.slow
def test_blocked_transcript_holds_on_generic_kernels_and_the_non_intel_gemm(reading, whole):
    """CTranslate2 picks its kernels by CPU: oneDNN instead of MKL on AMD, vector code by ISA.
    Before pause cuts and unprompted blocks, these plain kernels looped on 15 s blocks (a WER
    of 0.54); run them on whatever CPU runs the tests, in a process of their own."""
    wav, reference = reading
    env = {**os.environ, "CT2_FORCE_CPU_ISA": "GENERIC", "CT2_USE_MKL": "0",
           "PYTHONPATH": str(REPO)}
    done = subprocess.run([sys.executable, "-c", _OTHER_KERNELS, str(wav)], env=env, cwd=REPO,
                          capture_output=True, text=True, check=True, timeout=600)
    results = [json.loads(line) for line in done.stdout.splitlines() if line.startswith("{")]
    assert [r["block_seconds"] for r in results] == [7, 15]
    for result in results:
        wer_blocked = word_error_rate([reference], [result["text"]])
        assert result["blocks"] >= 2
        assert wer_blocked < 0.2 and wer_blocked <= whole[1] + 0.08, (wer_blocked, result)
        assert _repeated_sentences(result["text"]) == []


def _words(text: str, start: float = 0.0) -> list[Word]:
    return [Word(start + i, start + i + 0.5, w) for i, w in enumerate(text.split())]


def test_repeat_filter_drops_a_looping_sentence_but_keeps_real_speech():
    repeats = RepeatFilter()
    kept = [repeats.keep(_words(s)) for s in [
        "He was not an ill-disposed young man.",
        "He was an ill-disposed young man. He was an ill-disposed young man.",
        "He was an ill-disposed young man.",
        "No. No. No.",
        "Had he married a more amiable woman,",
        "He was not an ill-disposed young man!",
    ]]
    texts = [" ".join(w.text for w in words) for words in kept]
    assert texts == [
        "He was not an ill-disposed young man.",
        "He was an ill-disposed young man.",  # the copy inside the segment is dropped
        "",  # and so is the next segment, a third copy
        "No. No. No.",  # short repeats are real speech
        "Had he married a more amiable woman,",
        # said again after three other sentences: not a loop, kept
        "He was not an ill-disposed young man!",
    ]
    assert repeats.dropped == 2


def test_hyphenated_words_stay_whole(whole):
    # Whisper heard "ill-disposed" and "cold-hearted" as " ill" + "-disposed" ...: each
    # segment's words, joined by spaces, must read as the segment's own text.
    transcript, _ = whole
    assert any("-" in w.text for w in transcript.words)
    for segment in transcript.segments:
        assert " ".join(w.text for w in segment.words) == segment.text


def test_whole_words_glue_only_a_hyphen_right_after_a_word():
    from faster_whisper.transcribe import Word as Piece

    pieces = [Piece(0.0, 0.4, " We", 0.9), Piece(0.5, 0.7, " re", 0.9),
              Piece(0.7, 1.0, "-use", 0.6), Piece(1.1, 1.3, " it", 0.9),
              Piece(1.4, 1.5, " -", 0.5), Piece(1.6, 2.0, " twice.", 0.8)]
    words = whole_words(pieces, offset=10.0)
    assert [(w.start, w.end, w.text, w.prob) for w in words] == [
        (10.0, 10.4, "We", 0.9), (10.5, 11.0, "re-use", 0.6), (11.1, 11.3, "it", 0.9),
        (11.4, 11.5, "-", 0.5), (11.6, 12.0, "twice.", 0.8)]


def test_looks_hallucinated_flags_improbable_scraps_not_speech():
    assert looks_hallucinated([Word(21.046, 21.066, "Music", 0.0004)])
    assert not looks_hallucinated([Word(0.0, 0.4, "Yes.", 0.9)])
    # one improbable word opening real speech is not a hallucination
    assert not looks_hallucinated([Word(0.0, 0.48, "and", 0.12)]
                                  + _words("Mr. John Dashwood had then", start=1.0))


GLOSSARY = ["Dagster", "Milvus", "Creative Commons", "Kokoro", "Piper", "Ghibli", "ComfyUI"]


TALK = ["Welcome back to the channel.",
        "Today I build a Dagster pipeline that stores vectors in Milvus.",
        "Every clip here is shared under Creative Commons.",
        "Thanks to Kokoro and Piper for the voices.",
        "The Ghibli style art was made with ComfyUI."]
GLOSSARY = ["Dagster", "Milvus", "Creative Commons", "Kokoro", "Piper", "Ghibli", "ComfyUI"]


@pytest.fixture(scope="module")
def channel_talk(tmp_path_factory):
    """A creator's talk full of channel terms, in the bundled Piper voice (noise off, so the
    same audio every run)."""
    from piper import SynthesisConfig

    from pattern_pivot.tts.piper import load_piper_voice

    voice = load_piper_voice()
    steady = SynthesisConfig(noise_scale=0.0, noise_w_scale=0.0)
    pause = np.zeros(int(voice.config.sample_rate * 0.6), dtype="<i2")
    audio = np.concatenate([part for sentence in TALK for part in (
        *(np.frombuffer(c.audio_int16_bytes, dtype="<i2")
          for c in voice.synthesize(sentence, steady)), pause)])
    folder = tmp_path_factory.mktemp("talk")
    with wave.open(str(folder / "raw.wav"), "wb") as raw:
        raw.setnchannels(1)
        raw.setsampwidth(2)
        raw.setframerate(voice.config.sample_rate)
        raw.writeframes(audio.tobytes())
    ffmpeg("-i", str(folder / "raw.wav"), "-ar", "16000", "-ac", "1", str(folder / "talk.wav"))
    return folder / "talk.wav"


def test_a_glossary_spells_channel_terms_and_adds_nothing(channel_talk, reading, whole):
    asr = FasterWhisperTranscriber("tiny.en").with_glossary(GLOSSARY)
    heard = asr.transcribe(channel_talk).text
    # tiny.en alone hears "DAGster", "Novus", "Kakoro" and "comfy UI" in this talk
    assert [t for t in GLOSSARY if t not in heard] == [], heard
    assert word_error_rate([" ".join(TALK)], [heard]) <= 0.1, heard
    # A glossary is a prompt: in short blocks of speech without those terms Whisper must not
    # echo it, nor hallucinate in the pauses.
    wav, reference = reading
    asr.block_seconds = 5
    text = asr.transcribe(wav).text
    assert not [t for t in GLOSSARY if normalise(t) in normalise(text)], text
    assert "music" not in normalise(text).split(), text  # Whisper's favourite hallucination
    assert word_error_rate([reference], [text]) <= whole[1] + 0.08, text


def test_what_whisper_still_hears_close_to_a_term_is_spelled_as_the_term():
    from pattern_pivot.transcription.glossary import apply_glossary, clean_terms, terms_from_title
    from pattern_pivot.transcription.types import Segment, Transcript, Word

    assert terms_from_title("Creative Commons explained: why ComfyUI beats Automatic1111") == [
        "Creative Commons", "ComfyUI", "Automatic1111"]
    heard = ("Sharing under Creative comments is easy with comfy UI. Creative Commons is "
             "the licence.").split()
    words = tuple(Word(start=i * 0.5, end=i * 0.5 + 0.4, text=t) for i, t in enumerate(heard))
    transcript = Transcript(language="en", language_probability=1.0, duration=20.0,
                            segments=(Segment(0.0, 20.0, " ".join(heard), words),),
                            model="test")
    fixed = apply_glossary(transcript, clean_terms(["Creative Commons", "ComfyUI"]))
    assert fixed.text == ("Sharing under Creative Commons is easy with ComfyUI. Creative "
                          "Commons is the licence.")
    comfy = next(w for w in fixed.words if w.text == "ComfyUI.")
    assert (comfy.start, comfy.end) == (words[7].start, words[8].end)  # timing kept
    assert fixed.stats["glossary_respelled"] == 2
    assert apply_glossary(transcript, ()) is transcript
