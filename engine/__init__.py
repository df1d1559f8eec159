"""PostPulse engine: a generic text-generation engine. Chat messages and sampling parameters in,
streamed text out, with cancellation, timeouts, overload and health, behind one interface
(engine.interface) that every backend (transformers, vllm, openai) honours.

Prompts, post-processing and everything else about marketing copy live in bot/; the engine knows
nothing of them, nor of Slack, Discord or HTTP (imports point adapters -> bot -> engine).
"""
