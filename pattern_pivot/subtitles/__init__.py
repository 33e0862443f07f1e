"""Subtitle files (SRT, WebVTT, ASS) from word timings, and their translation.

``refine`` snaps word timings onto the speech in the audio, ``cues`` turns timed words into
readable cues, ``formats`` writes and reads them with pysubs2, ``translate`` puts them into
another language keeping the timing, ``quality`` scores a translation by its round trip,
``stage`` writes the files beside stored transcripts and rendered outputs, ``languages``
one translated language of a stored video (dubbing: ``pattern_pivot.dubbing``). No Dagster
here.
"""
