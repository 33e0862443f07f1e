"""Subtitle files (SRT, WebVTT, ASS) from word timings, their translation and dubbing.

``refine`` snaps word timings onto the speech in the audio, ``cues`` turns timed words into
readable cues, ``formats`` writes and reads them with pysubs2, ``translate`` puts them into
another language keeping the timing, ``quality`` scores a translation by its round trip,
``dub`` speaks it on the original timeline, ``stage`` writes the files beside stored
transcripts and rendered outputs. No Dagster here.
"""
