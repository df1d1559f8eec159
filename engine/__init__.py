"""PostPulse engine: model loading, prompts, batching scheduler and post-processing.

Knows nothing of Slack, Discord or HTTP (imports point adapters -> bot -> engine).
"""
