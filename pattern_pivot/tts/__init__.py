"""Text to speech behind one interface: Piper (bundled, the offline default), Coqui TTS (a
model the user configures) and espeak-ng (last resort), narrated sentence by sentence."""

from pattern_pivot.tts.engines import SpeechEngine, TTSConfig, make_engine
from pattern_pivot.tts.narrate import NarrationResult, narrate

__all__ = ["NarrationResult", "SpeechEngine", "TTSConfig", "make_engine", "narrate"]
