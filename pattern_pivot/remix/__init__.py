"""Remixes: requests, retrieval of source segments, scripts and edit plans."""
