"""Audio enhancement: speech denoise (DeepFilterNet3, ffmpeg afftdn fallback), loudness to
EBU R128, and trimming of long silences and filler words. Audio streams through ffmpeg in
blocks; nothing here imports Dagster."""
