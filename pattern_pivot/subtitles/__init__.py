"""Subtitle files (SRT, WebVTT, ASS) from word timings, and their translation.

``cues`` turns timed words into readable cues, ``formats`` writes and reads them with pysubs2,
``translate`` puts them into another language keeping the timing, ``stage`` writes the files
beside stored transcripts and rendered outputs. No Dagster here.
"""
