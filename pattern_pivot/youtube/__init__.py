"""YouTube as a video source: the Data API v3 (channels, uploads, statistics), downloads
through yt-dlp, and YouTube's own captions as transcripts."""
