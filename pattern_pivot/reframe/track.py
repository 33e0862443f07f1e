"""The subject of each sample: the face (or group of faces) the frame should hold.

Faces are tracked from sample to sample by position, so a detector miss or a second face
does not make the frame jump. With several people the frame follows the active speaker:
the face whose mouth moves most (``Sample.speaking``), and the largest face while nobody's
mouth moves (or mouths cannot be read). The frame moves to another person only after that
person has led for ``hold`` seconds, so it holds every person at least that long and never
ping-pongs between two. A speaker who held the lead that long gets the frame from where
their turn began (the plan is made after the fact, so the cut need not lag the turn).
"""

from __future__ import annotations

from pattern_pivot.reframe.analysis import Sample
from pattern_pivot.reframe.plan import Box
from pattern_pivot.reframe.speaking import same_face

MIN_SPEAKING = 0.03  # speaking score (spread of mouth openness) of a talking mouth
LEAD = 1.5  # a rival speaker must out-move the followed one by this factor to lead
MIN_TURN_SAMPLES = 2  # a shorter lead (one sample: half a second) is not a turn


def union(boxes: list[Box]) -> Box:
    x0, y0 = min(b.x for b in boxes), min(b.y for b in boxes)
    x1, y1 = max(b.x + b.w for b in boxes), max(b.y + b.h for b in boxes)
    return Box(x0, y0, x1 - x0, y1 - y0)


def speaker(sample: Sample) -> Box | None:
    """The face whose mouth moves most in ``sample``, if any moves like a talking one."""
    scores = sample.speaking
    if not scores or max(scores) < MIN_SPEAKING:
        return None
    return sample.faces[max(range(len(scores)), key=scores.__getitem__)]


def _score(sample: Sample, face: Box) -> float:
    index = next((i for i, f in enumerate(sample.faces) if f is face), None)
    return sample.speaking[index] if index is not None and index < len(sample.speaking) \
        else 0.0


def _leader(sample: Sample, followed: Box | None, by_mouth: bool) -> tuple[Box, bool]:
    """(the face that leads in ``sample``, whether mouths decided it). ``followed`` is the
    followed face as seen in this sample; ``by_mouth``: a speaker was already chosen by
    mouth in this shot, so a pause keeps them rather than handing over to the largest."""
    talking = speaker(sample)
    if talking is not None:
        if followed is not None and _score(sample, followed) * LEAD >= _score(sample, talking):
            return followed, True  # both talking about as much: no reason to move
        return talking, True
    if by_mouth and followed is not None:
        return followed, True
    return sample.faces[0], False


def subjects(samples: list[Sample], window: tuple[float, float], margin: float,
             hold: float = 1.5) -> list[Box | None]:
    """Per sample, the box to keep in frame (None before the first face is seen).

    Several faces that fit in one window together are framed together; otherwise the
    leading person (the active speaker, or the largest face) is followed."""
    cw, ch = window
    current: Box | None = None
    by_mouth = False
    lost_since: float | None = None  # the followed face has not been seen since
    rival_since: float | None = None  # another face has led since
    turn: list[tuple[int, Box]] = []  # (sample index, face) of that lead so far
    groups: dict[int, Box] = {}  # samples framing several faces together
    out: list[Box | None] = []
    # The first mouth readings come a moment into the shot: whoever speaks then has the
    # frame from the start, rather than the largest face for that moment.
    first = next((s for s in samples if s.faces and speaker(s) is not None), None)
    opening = speaker(first) if first is not None and first.t - samples[0].t <= hold else None
    for sample in samples:
        faces, t = list(sample.faces), sample.t
        if not faces:
            out.append(current)
            continue
        match = next((f for f in faces if current is not None and same_face(f, current)),
                     None)
        leader, decided = _leader(sample, match, by_mouth)
        by_mouth = by_mouth or decided
        if current is None:
            current = next((f for f in faces if opening is not None and same_face(f, opening)),
                           leader)
        elif match is None:
            lost_since = t if lost_since is None else lost_since
            if t - lost_since >= hold:
                current, lost_since, rival_since = leader, None, None
        else:
            lost_since = None
            if leader is match:
                current, rival_since, turn = match, None, []
            else:
                if rival_since is None or not same_face(turn[-1][1], leader):
                    rival_since, turn = t, []
                turn.append((len(out), leader))
                current = leader if t - rival_since >= hold else match
                if current is leader:
                    if decided:  # a speaker's turn: cut to them where it began
                        for index, face in turn[:-1]:  # the last is this sample
                            if out[index] is not None and out[index] is not groups.get(index):
                                out[index] = face
                    rival_since, turn = None, []
        group = union(faces)
        if len(faces) > 1 and group.w + 2 * margin * faces[0].w <= cw and group.h <= ch:
            groups[len(out)] = group
            out.append(group)
        else:
            out.append(current)
    return out


def turns(samples: list[Sample]) -> list[tuple[float, Box]]:
    """The speaker turns of a shot: (start, the speaker's face at it), in order. A lead
    shorter than ``MIN_TURN_SAMPLES`` samples is no turn; nor is a pause."""
    runs: list[list] = []  # [start, face, samples]
    for sample in samples:
        face = speaker(sample)
        if face is None:
            continue
        if runs and same_face(runs[-1][1], face):
            runs[-1][1], runs[-1][2] = face, runs[-1][2] + 1
        else:
            runs.append([sample.t, face, 1])
    out: list[tuple[float, Box]] = []
    for start, face, count in runs:
        if count < MIN_TURN_SAMPLES:
            continue
        if out and same_face(out[-1][1], face):
            continue  # the same speaker again after a blip
        out.append((start, face))
    return out
