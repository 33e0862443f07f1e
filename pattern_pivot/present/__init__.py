"""Slides synced to a talk: sections from its transcript, a self-contained HTML deck keyed
to media time, recorded frame-exact in headless Chromium, composited beside the speaker."""
