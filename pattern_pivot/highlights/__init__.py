"""Highlights: the best 15-60 s moments of one long video, found locally (no paid API).

Candidates are runs of whole sentences from the stored transcript (cut in the pauses around
them); each is scored on what makes a clip stand alone (a hook, a complete thought, a
question it answers, the speaker's energy, the video's key phrases), then the top ones are
picked without overlaps and spread over the video. No Dagster inside.
"""

from pattern_pivot.highlights.find import Highlight, find_highlights

__all__ = ["Highlight", "find_highlights"]
