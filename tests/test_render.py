"""The render engine on real media: geometry, captions, loudness, supercut sound and
captions, a full-size 1080x1920 render, and clear errors for bad plans."""

import math
import re
import subprocess

import numpy as np
import pytest

from pattern_pivot.errors import CatalogError, MediaError
from pattern_pivot.media.ffmpeg import ffprobe_json
from pattern_pivot.media.loudness import (
    Loudness,
    ebur128_filters,
    measure_file,
    normalising_chain,
    parse_ebur128,
    run_ffmpeg_stderr,
)
from pattern_pivot.quality import CHECK_NAMES, run_checks
from pattern_pivot.remix.types import EditPlan, Shot, SourceSpan
from pattern_pivot.render import RenderOptions, render_plan
from pattern_pivot.render.sources import FileSources
from pattern_pivot.render.stage import expectations
from pattern_pivot.render.timeline import narration_cues, paced
from pattern_pivot.transcription.whisper import FasterWhisperTranscriber
from pattern_pivot.tts import TTSConfig, make_engine, narrate
from tests.render_support import (
    COCKATOO,
    SMALL,
    frame_at,
    narrated_plan,
    streams,
    stripes_source,
    supercut_plan,
    talk_source,
)

SMALL_OPTIONS = RenderOptions(frame_size=SMALL)


@pytest.fixture(scope="module")
def narrated(tmp_path_factory):
    """The narrated plan's narration, spoken once for the module (Piper + Whisper timings)."""
    folder = tmp_path_factory.mktemp("narration")
    config = TTSConfig()
    plan = narrated_plan()
    return narrate(make_engine(config), narration_cues(plan), folder / "n.wav", config,
                   FasterWhisperTranscriber("tiny.en", beam_size=1))


def test_the_render_meter_reads_a_calibrated_tone_and_silence(tmp_path):
    """Every stage measures with ebur128 (BS.1770, no 192 kHz resampling): a 997 Hz
    sine at -20 dBFS in both channels is -20 LUFS by the standard's calibration (-3.01 LUFS
    for 0 dBFS in one channel); after a chain, the chain's gain shows; silence is silent."""
    tone, quiet = tmp_path / "tone.wav", tmp_path / "quiet.wav"
    subprocess.run(["ffmpeg", "-v", "error", "-f", "lavfi", "-i",
                    "sine=frequency=997:sample_rate=48000:duration=8", "-af",
                    "volume=-1.94dB,pan=stereo|c0=c0|c1=c0", "-c:a", "pcm_f32le",
                    str(tone)], check=True)  # lavfi's sine is 1/8 of full scale: -18.06 dB
    subprocess.run(["ffmpeg", "-v", "error", "-f", "lavfi", "-i",
                    "anullsrc=r=48000:cl=stereo", "-t", "5", str(quiet)], check=True)
    plain = measure_file(tone)  # with the true peak: a sine's peak is its amplitude
    assert plain.integrated == pytest.approx(-20.0, abs=0.15)
    assert plain.true_peak == pytest.approx(-20.0, abs=0.2)
    louder = measure_file(tone, "volume=6dB", true_peak=False)
    assert louder.integrated == pytest.approx(-14.0, abs=0.15) and math.isnan(louder.true_peak)
    assert measure_file(quiet, true_peak=False).silent
    # A graph configured twice (the mix pass's is) prints an empty summary before the real one.
    empty = "Summary:\n I: -70.0 LUFS\n LRA: 0.0 LU\n Peak: -inf dBFS\n"
    heard = parse_ebur128(empty + empty.replace("-70.0", "-16.2").replace("-inf", "-4.2"), "mix")
    assert (heard.integrated, heard.true_peak) == (-16.2, -4.2)


def test_the_meters_noise_floor_changes_no_reading(tmp_path):
    """Sound then digital silence (which slowed ebur128 ~20x: its filters decayed into
    denormal numbers) reads the same with the meter's noise floor as without it, loud or
    quiet, true peak included; silence stays silent."""
    for name, level in (("loud", -20.0), ("quiet", -60.0)):
        clip = tmp_path / f"{name}.wav"
        subprocess.run(["ffmpeg", "-v", "error", "-f", "lavfi", "-i",
                        "sine=frequency=440:sample_rate=48000:duration=2", "-f", "lavfi", "-i",
                        "anullsrc=r=48000:cl=stereo", "-filter_complex",
                        f"[0]volume={level + 18.06:.2f}dB,pan=stereo|c0=c0|c1=0.5*c0[s];"
                        "[s][1]concat=n=2:v=0:a=1,atrim=duration=20", "-c:a", "pcm_f32le",
                        str(clip)], check=True)
        bare = parse_ebur128(run_ffmpeg_stderr(
            ["-i", clip, "-af", "ebur128=peak=true", "-f", "null", "-"], subject=clip,
            fix=""), clip)
        graph = ";".join(["[0:a]anull[in]", *ebur128_filters("[in]", "out", peak=True)])
        floored = parse_ebur128(run_ffmpeg_stderr(
            ["-i", clip, "-filter_complex", graph, "-map", "[out]", "-f", "null", "-"],
            subject=clip, fix=""), clip)
        assert floored == bare and not bare.silent, name
        assert measure_file(clip, true_peak=False).integrated == bare.integrated
    silence = tmp_path / "silence.wav"
    subprocess.run(["ffmpeg", "-v", "error", "-f", "lavfi", "-i", "anullsrc=r=48000:cl=stereo",
                    "-t", "5", str(silence)], check=True)
    assert measure_file(silence, true_peak=False).silent
    # A mono file (the floor is stereo: the mix is) reads as it did without the floor.
    mono = tmp_path / "mono.wav"
    subprocess.run(["ffmpeg", "-v", "error", "-f", "lavfi", "-i",
                    "sine=frequency=997:sample_rate=48000:duration=4", "-af", "apad=pad_dur=8",
                    "-c:a", "pcm_f32le", str(mono)], check=True)
    bare = parse_ebur128(run_ffmpeg_stderr(["-i", mono, "-af", "ebur128", "-f", "null", "-"],
                                           subject=mono, fix=""), mono)
    assert measure_file(mono, true_peak=False).integrated == bare.integrated


def test_a_gain_the_limiter_never_touches_needs_no_second_measurement():
    """The second loudness pass measures what the true-peak limiter took off; when the
    measured peak plus the gain stays under the ceiling, the limiter never acts and the gain
    alone lands on the target (a render's mix skips that pass)."""
    heard = []

    def measure(level: float, peak: float):
        def run(chain: str) -> Loudness:
            heard.append(chain)
            gain = float(re.search(r"volume=(-?[\d.]+)dB", chain).group(1)) if "volume" in \
                chain else 0.0
            return Loudness(level + min(gain, -1.5 - peak), peak + gain, 5.0)
        return run

    chain, _ = normalising_chain(measure(-20.0, -9.0))  # +6 dB: peak -3 dBTP, under -1.5
    assert "volume=6.00dB" in chain and heard == ["anull"]
    heard.clear()
    normalising_chain(measure(-20.0, -4.0))  # +6 dB would peak at +2 dBTP: limited
    assert len(heard) > 1


def test_a_probe_is_reused_until_the_file_changes(tmp_path):
    clip = tmp_path / "clip.wav"
    for seconds in (1, 2):
        subprocess.run(["ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i",
                        f"anullsrc=r=8000:cl=mono:d={seconds}", str(clip)], check=True)
        assert float(ffprobe_json(clip)["format"]["duration"]) == pytest.approx(seconds)
        first = ffprobe_json(clip)
        first["format"]["duration"] = "0"  # each caller gets its own copy
        assert float(ffprobe_json(clip)["format"]["duration"]) == pytest.approx(seconds)


def test_scale_then_crop_keeps_the_centre_at_full_height(tmp_path):
    source = stripes_source(tmp_path / "stripes.mp4")
    plan = supercut_plan("remix-geo", "s", 1.0, 2.0).model_copy(update={"framing": "center"})
    out = render_plan(plan, tmp_path / "geo.mp4", FileSources({"s": source}),
                      options=RenderOptions(frame_size=SMALL, captions=False)).path
    frame = frame_at(out, 1.0).astype(int)
    h, w, _ = frame.shape
    assert (w, h) == SMALL
    body = frame[int(h * 0.2):, :]  # below the white band
    r, g, b = body[..., 0].mean(), body[..., 1].mean(), body[..., 2].mean()
    # Only the green middle third survives a centre crop of a cover-scaled 16:9 picture:
    # a stretch or a letterbox would bring red and blue (or black) in at the sides.
    assert g > 200 and r < 40 and b < 40
    assert frame[:, :3].mean(axis=(0, 1))[1] > 150  # green at the very left edge
    # The white band (top tenth of the source) stays the top tenth: height was not cropped.
    assert frame[int(h * 0.03)].mean() > 200 and frame[int(h * 0.14)].mean() < 200


def test_narrated_render_captions_loudness_and_checks(tmp_path, narrated):
    plan = narrated_plan()
    sources = FileSources({"v1": COCKATOO})
    result = render_plan(plan, tmp_path / "n.mp4", sources, narrated, SMALL_OPTIONS)
    bare = render_plan(plan, tmp_path / "bare.mp4", sources, narrated,
                       RenderOptions(frame_size=SMALL, captions=False))
    info = streams(result.path)
    video = next(s for s in info["streams"] if s["codec_type"] == "video")
    audio = next(s for s in info["streams"] if s["codec_type"] == "audio")
    assert (video["codec_name"], audio["codec_name"]) == ("h264", "aac")
    assert (video["width"], video["height"]) == SMALL and video["pix_fmt"] == "yuv420p"
    assert float(info["format"]["duration"]) == pytest.approx(result.duration, abs=0.1)
    # Shots are timed to the voice: the video lasts as long as the narration.
    assert result.duration == pytest.approx(paced(plan, narrated).duration, abs=0.1)
    assert measure_file(result.path).integrated == pytest.approx(-14.0, abs=1.0)
    # Captions where the plan speaks: the caption band differs from the caption-free render
    # while a word is spoken, and nowhere else in the frame.
    word = next(w for w in result.words if w.text.startswith("flock"))
    at = (word.start + word.end) / 2
    with_c, without = frame_at(result.path, at).astype(int), frame_at(bare.path, at).astype(int)
    h = with_c.shape[0]
    band = slice(int(h * 0.55), int(h * 0.85))
    changed = np.abs(with_c - without).max(axis=2) > 60
    assert changed[band].mean() > 0.03
    assert changed[: int(h * 0.4)].mean() < 0.002
    # The highlighted (current) word is drawn in the highlight colour (yellow).
    diff = with_c[band]
    yellow = (diff[..., 0] > 200) & (diff[..., 1] > 170) & (diff[..., 2] < 80)
    assert yellow.sum() > 20
    outcomes = run_checks(result.path, expectations(plan, SMALL_OPTIONS, result.words))
    assert all(o.passed for o in outcomes), [o for o in outcomes if not o.passed]


def test_captions_are_checked_in_the_picture_over_text_heavy_cards(tmp_path, narrated):
    """The same plan rendered with captions on and off, over sample-channel cards whose own
    text (white and yellow, shadowed) crosses the caption band: only burned-in captions
    count, so the render without them fails the caption check and nothing else."""
    from pattern_pivot.quality.analysis import analyse
    from pattern_pivot.quality.caption_pixels import MIN_GLYPH_AREA
    from pattern_pivot.render.captions import caption_band
    from pattern_pivot.sample_channel.cards import title_card
    from pattern_pivot.sample_channel.scripts import SCRIPTS

    # White title text enclosed by a dark card (as caption strokes are by their outline),
    # and a yellow accent close to the caption highlight.
    white, yellow = tmp_path / "white.png", tmp_path / "yellow.png"
    for script, path in ((SCRIPTS[3], white), (SCRIPTS[2], yellow)):
        title_card(script, script.sections[0].heading, (1280, 720))[0].save(path)
    base = narrated_plan()
    # Centre framing: the cards are cover-cropped, so their text crosses the caption band
    # (auto framing would fit them whole in the middle, above the band).
    plan = base.model_copy(update={"framing": "center", "shots": (
        base.shots[0].model_copy(update={"kind": "still", "image": str(white), "text": None}),
        base.shots[1],
        base.shots[2].model_copy(update={"image": str(yellow)}))})
    sources = FileSources({"v1": COCKATOO})
    size = (270, 480)
    failed = {}
    for captions in (True, False):
        options = RenderOptions(frame_size=size, captions=captions)
        result = render_plan(plan, tmp_path / f"{captions}.mp4", sources, narrated, options)
        outcomes = run_checks(result.path, expectations(plan, options, result.words))
        failed[captions] = {o.name: o for o in outcomes if not o.passed}
    assert failed[True] == {}, failed[True]
    assert set(failed[False]) == {"captions_cover_speech"}
    assert failed[False]["captions_cover_speech"].metadata["coverage"] == 0.0
    # The cards really put caption-like strokes in the band, yet no frame counts as captioned.
    cards = analyse(tmp_path / "False.mp4", caption_band(*size)).caption_samples
    assert not any(frame.present for frame in cards)
    assert max(frame.glyph_area for frame in cards) > MIN_GLYPH_AREA


def test_supercut_keeps_the_speakers_voice_with_their_words_as_captions(tmp_path,
                                                                         tiny_transcriber):
    from pattern_pivot.media.audio import extract_speech_audio
    from pattern_pivot.render.sources import SourceMedia

    talk = talk_source(tmp_path / "talk.mp4")
    extract_speech_audio(talk, tmp_path / "talk.wav")
    transcript = tiny_transcriber.transcriber().transcribe(tmp_path / "talk.wav")
    sources = FileSources({"jfk": talk}, {"jfk": transcript})
    source: SourceMedia = sources("jfk")
    plan = EditPlan(request_id="remix-sc", mode="supercut", aspect="9:16", target_seconds=6,
                    shots=(Shot(kind="source", duration=2.0, source_audio=True,
                                span=SourceSpan(video_id="jfk", start=0.0, end=2.0)),
                           Shot(kind="source", duration=4.0, source_audio=True,
                                span=SourceSpan(video_id="jfk", start=6.0, end=10.0))))
    result = render_plan(plan, tmp_path / "sc.mp4", sources, None, SMALL_OPTIONS)
    # Words from the second span are moved from 6-10 s in the source to 2-6 s out.
    second = [w for w in source.words if 6.0 <= w.start < 9.9]
    moved = [w for w in result.words if w.start >= 2.0]
    assert [w.text for w in moved] == [w.text for w in second]
    assert moved[0].start == pytest.approx(second[0].start - 4.0, abs=0.01)
    assert measure_file(result.path).integrated == pytest.approx(-14.0, abs=1.0)
    outcomes = {o.name: o for o in run_checks(result.path,
                                              expectations(plan, SMALL_OPTIONS, result.words))}
    assert outcomes["captions_cover_speech"].passed, outcomes["captions_cover_speech"]
    assert all(o.passed for o in outcomes.values()), outcomes


def test_full_size_vertical_render_with_music_ducked(tmp_path, narrated):
    from tests.conftest import ffmpeg

    music = tmp_path / "music.wav"
    ffmpeg("-f", "lavfi", "-i", "sine=f=220:d=3", "-ac", "2", str(music))
    plan = narrated_plan()
    options = RenderOptions(background_audio=music)
    result = render_plan(plan, tmp_path / "full.mp4", FileSources({"v1": COCKATOO}), narrated,
                         options)
    info = streams(result.path)
    video = next(s for s in info["streams"] if s["codec_type"] == "video")
    assert (video["width"], video["height"]) == (1080, 1920)
    assert any("sidechaincompress" in part for part in result.mix_command)
    with open(result.path, "rb") as handle:  # +faststart: the index comes before the media
        head = handle.read(1 << 16)
    assert 0 <= head.find(b"moov") < max(head.find(b"mdat"), 1 << 16)
    outcomes = run_checks(result.path, expectations(plan, options, result.words))
    assert all(o.passed for o in outcomes), [o for o in outcomes if not o.passed]


def test_bad_plans_fail_clearly_and_leave_nothing(tmp_path):
    sources = FileSources({"v1": COCKATOO})
    out = tmp_path / "out.mp4"
    beyond = supercut_plan("remix-bad", "v1", 60.0, 2.0)
    with pytest.raises(MediaError, match="span is outside the video"):
        render_plan(beyond, out, sources, options=SMALL_OPTIONS)
    with pytest.raises(CatalogError, match="--source missing="):
        render_plan(supercut_plan("remix-bad", "missing", 0.0, 2.0), out, sources,
                    options=SMALL_OPTIONS)
    still = EditPlan(request_id="remix-bad", mode="faceless", aspect="1:1", target_seconds=2,
                     shots=(Shot(kind="still", duration=2, image=str(tmp_path / "nope.jpg")),))
    with pytest.raises(MediaError, match="does not exist"):
        render_plan(still, out, sources, options=SMALL_OPTIONS)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.slow
def test_cli_say_and_render(tmp_path):
    import os
    import subprocess
    import sys
    from pathlib import Path

    cli = str(Path(sys.executable).with_name("pattern-pivot"))
    env = {**os.environ, "PATTERN_PIVOT_DATA_DIR": str(tmp_path / "data")}
    said = subprocess.run([cli, "say", "Hello there. Goodbye.", "-o", str(tmp_path / "s.wav")],
                          capture_output=True, text=True, env=env, timeout=300)
    assert said.returncode == 0, said.stderr
    assert "piper:en_US-joe-medium" in said.stdout and (tmp_path / "s.wav").stat().st_size > 1000
    plan = tmp_path / "plan.json"
    plan.write_text(narrated_plan().model_dump_json())
    out = tmp_path / "out" / "video.mp4"
    done = subprocess.run([cli, "render", str(plan), "-o", str(out), "--source",
                           f"v1={COCKATOO}", "--width", "180", "--height", "320"],
                          capture_output=True, text=True, env=env, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.count("ok     ") == len(CHECK_NAMES) and "FAILED" not in done.stdout
    assert out.is_file() and (tmp_path / "out" / "video.captions.json").is_file()
    plan.write_text("{}")
    bad = subprocess.run([cli, "render", str(plan), "-o", str(out)], capture_output=True,
                         text=True, env=env, timeout=120)
    assert bad.returncode == 2 and "is not a readable edit plan" in bad.stderr


def test_shots_follow_the_voice_so_no_line_leaves_dead_air(tmp_path, narrated):
    """The plan only guesses each line's length (here 4-6 s for lines the voice says in 1-2
    s); the narration speaks the lines back to back and the shots are timed to it."""
    from pattern_pivot.render.timeline import NARRATION_TAIL
    from pattern_pivot.tts.narrate import MIN_LINE_SECONDS

    guessed = narrated_plan()
    plan = guessed.model_copy(update={"shots": tuple(
        s.model_copy(update={"duration": s.duration * 2}) for s in guessed.shots)})
    assert narration_cues(plan) == narration_cues(guessed)  # the voice sets the pace
    assert len(narrated.lines) == len(plan.shots)
    for (start, end), (next_start, _) in zip(narrated.lines, narrated.lines[1:]):
        assert next_start - end <= 0.4 or next_start == pytest.approx(start + MIN_LINE_SECONDS,
                                                                      abs=0.01)
    timed = paced(plan, narrated)
    assert all(shot.duration >= MIN_LINE_SECONDS - 0.01 for shot in timed.shots)
    assert timed.duration == pytest.approx(narrated.duration + NARRATION_TAIL, abs=0.01)
    out = render_plan(plan, tmp_path / "paced.mp4", FileSources({"v1": COCKATOO}), narrated,
                      RenderOptions(frame_size=SMALL, captions=False)).path
    # Measured on the rendered sound, not the plan: no silence of 1 s anywhere inside.
    log = subprocess.run(["ffmpeg", "-nostdin", "-i", str(out), "-af",
                          "silencedetect=noise=-40dB:d=0.6", "-f", "null", "-"],
                         capture_output=True, text=True).stderr
    silences = [float(x) for x in re.findall(r"silence_duration: ([\d.]+)", log)]
    assert max(silences, default=0.0) < 1.0, silences


def test_supercut_cuts_fall_in_the_speakers_pauses_by_the_sound(tmp_path, tiny_transcriber):
    """Cut JFK's speech where snap() says, render it, and listen at each cut: just before
    and after it the output is quiet (a pause), while the shots themselves carry speech."""
    from pattern_pivot.media.audio import extract_speech_audio
    from pattern_pivot.remix.spans import snap

    talk = talk_source(tmp_path / "talk.mp4")
    extract_speech_audio(talk, tmp_path / "talk.wav")
    transcript = tiny_transcriber.transcriber().transcribe(tmp_path / "talk.wav")
    # JFK pauses after "...can do for you": both cuts must find that pause, the second one
    # by starting after it rather than inside "ask not what your country...".
    cuts = [snap(SourceSpan(video_id="jfk", start=0.0, end=11.0), transcript, max_seconds=8.5),
            snap(SourceSpan(video_id="jfk", start=3.0, end=11.0), transcript)]
    assert all(cuts), cuts
    assert cuts[1].text.lower().startswith("ask what"), cuts[1]
    shots = tuple(Shot(kind="source", duration=round(c.duration, 3), source_audio=True, span=c)
                  for c in cuts)
    plan = EditPlan(request_id="remix-cuts", mode="supercut", aspect="9:16",
                    target_seconds=sum(s.duration for s in shots), shots=shots)
    out = render_plan(plan, tmp_path / "cuts.mp4", FileSources({"jfk": talk}, {"jfk": transcript}),
                      None, RenderOptions(frame_size=SMALL, captions=False)).path
    pcm = subprocess.run(["ffmpeg", "-v", "error", "-i", str(out), "-ac", "1", "-ar", "16000",
                          "-f", "s16le", "-"], capture_output=True, check=True).stdout
    audio = np.frombuffer(pcm, dtype="<i2").astype(float) / 32768

    def level(a: float, b: float) -> float:  # dBFS RMS of the output between a and b s
        part = audio[int(a * 16000):int(b * 16000)]
        return 20 * np.log10(np.sqrt(np.mean(part ** 2)) + 1e-9)

    t, speech = 0.0, []
    for shot in shots[:-1]:
        t += shot.duration
        speech.append(level(t - shot.duration, t))
        # Outside the 30 ms fades: what a listener hears around the cut is the pause.
        assert level(t - 0.12, t - 0.04) < max(speech) - 20, (t, level(t - 0.12, t - 0.04))
        assert level(t + 0.04, t + 0.12) < max(speech) - 20, (t, level(t + 0.04, t + 0.12))


def test_snap_refuses_to_cut_inside_a_phrase():
    from pattern_pivot.remix.spans import snap
    from pattern_pivot.transcription.types import Segment, Transcript, Word

    text = "when you share your creative wealth with others it grows. Then more."
    words, t = [], 0.0
    for token in text.split():  # a steady speaker: no pause inside the first sentence
        words.append(Word(start=round(t, 2), end=round(t + 0.3, 2), text=token))
        t += 0.35 if not token.endswith(".") else 0.9
    transcript = Transcript(language="en", language_probability=1.0, duration=t,
                            segments=(Segment(start=0.0, end=t, text=text, words=tuple(words)),),
                            model="test")
    whole = SourceSpan(video_id="v", start=0.0, end=t)
    assert snap(whole, transcript, max_seconds=2.0) is None  # no clean cut that short
    cut = snap(whole, transcript, max_seconds=5.0)
    assert cut is not None and cut.text.endswith("grows.")
    # A span that starts inside the phrase starts at the next sentence instead.
    later = snap(SourceSpan(video_id="v", start=1.0, end=t), transcript)
    assert later is not None and later.text == "Then more."


def test_a_caption_line_never_runs_across_a_cut():
    from pattern_pivot.render.captions import caption_events, group_lines
    from pattern_pivot.transcription.types import Word

    words = [Word(start=0.0, end=0.3, text="when"), Word(start=0.35, end=0.6, text="you"),
             Word(start=0.65, end=1.0, text="share"), Word(start=1.1, end=1.4, text="It's"),
             Word(start=1.45, end=1.8, text="easy.")]
    assert [len(line) for line in group_lines(words)] == [4, 1]  # one line across the cut
    assert [[w.text for w in line] for line in group_lines(words, cuts=[1.05])] == [
        ["when", "you", "share"], ["It's", "easy."]]
    events = caption_events(words, cuts=[1.05])
    share = next(e for e in events if e[2][e[3]].text == "share")
    assert share[1] <= 1.05  # the line is gone when the shot changes


def _timed_transcript(timed, duration: float):
    from pattern_pivot.transcription.types import Segment, Transcript, Word

    words = tuple(Word(start=a, end=b, text=t) for t, a, b in timed)
    return words, Transcript(language="en", language_probability=1.0, duration=duration,
                             segments=(Segment(start=words[0].start, end=words[-1].end,
                                               text="", words=words),), model="test")


def test_long_pauses_inside_a_supercut_piece_are_cut_out():
    from pattern_pivot.remix.spans import MAX_INNER_PAUSE, tighten

    timed = [("After", 36.45, 36.75), ("four", 36.75, 37.03), ("rounds,", 37.03, 37.39),
             ("it", 37.5, 37.6), ("is", 37.6, 37.7), ("smooth.", 37.7, 38.2),
             ("Now", 39.4, 39.6), ("comes", 39.6, 39.9), ("bulk", 39.9, 40.2),
             ("fermentation.", 40.2, 41.0), ("Cover", 41.2, 41.5), ("it.", 41.5, 41.8)]
    words, transcript = _timed_transcript(timed, 50.0)
    span = SourceSpan(video_id="v", start=36.2, end=42.05)
    parts = tighten(span, transcript)
    assert [p.text for p in parts] == ["After four rounds, it is smooth.",
                                       "Now comes bulk fermentation. Cover it."]
    assert parts[0].start == span.start and parts[-1].end == span.end
    removed = span.duration - sum(p.duration for p in parts)
    assert removed > 1.2 - 2 * 0.25 - 0.01  # the 1.2 s pause, less the padding kept
    assert parts[1].start - parts[0].end == pytest.approx(removed)
    assert all(b.start - a.end <= MAX_INNER_PAUSE for p in parts
               for a, b in zip(words, words[1:]) if p.start <= a.start and b.end <= p.end)


def test_a_pause_whisper_measures_short_is_still_cut_before_it_reads_as_dead_air():
    from pattern_pivot.quality.checks import MAX_SILENCE
    from pattern_pivot.remix.spans import tighten

    # Whisper base on the sample narration put "dough. | In" 0.80 s apart over 1.00 s of
    # audio silence (-40 dB), the check's limit: a piece holding such a pause failed the demo
    # supercut's no_dead_air whenever the voice paused a little longer. 0.76 s here.
    timed = [("ready", 17.6, 17.95), ("to", 17.95, 18.05), ("raise", 18.05, 18.2),
             ("your", 18.2, 18.3), ("dough.", 18.3, 18.49), ("In", 19.25, 19.4),
             ("a", 19.4, 19.45), ("large", 19.45, 19.8), ("bowl,", 19.8, 20.3)]
    _, transcript = _timed_transcript(timed, 60.0)
    span = SourceSpan(video_id="v", start=17.4, end=20.5)
    parts = tighten(span, transcript)
    assert [p.text for p in parts] == ["ready to raise your dough.", "In a large bowl,"]
    kept = (parts[0].end - 18.49) + (19.25 - parts[1].start)  # the pause left at the cut
    assert kept + 0.2 < MAX_SILENCE  # even if Whisper's edges were 0.2 s into the words
