"""The HTTP sidecar: the original /generate-text contract, OpenAI-compatible routes, ops endpoints."""

from adapters.http.app import create_app, make_runner, start_site

__all__ = ["create_app", "make_runner", "start_site"]
