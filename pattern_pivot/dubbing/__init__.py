"""Dubbing: translated cues spoken in the target language on the original timeline.

``voices`` picks the voice of a language (espeak-ng: no neural voice for another language
ships inside a package here) and says which languages work offline; ``timing`` fits each
spoken line into its cue's time slot; ``mix`` lays the voice over the ducked original and
writes the MP4 at -14 LUFS; ``stage`` stores it per video and language. No Dagster here.
"""
