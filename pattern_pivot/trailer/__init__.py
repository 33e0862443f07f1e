"""Trailers and montages: the strongest moments of a video or a channel, cut on shot
boundaries and whole sentences, optionally on the beats of a user's music, between a title
card and an end card, rendered and checked like every other output."""
