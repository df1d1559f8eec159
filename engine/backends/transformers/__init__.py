"""The in-process engine on transformers: model loading, a continuous-batching scheduler."""
