"""Engines behind one interface (engine.interface.Engine): in-process, OpenAI-compatible, vLLM."""
