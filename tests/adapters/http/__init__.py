"""Tests of the HTTP sidecar over real loopback HTTP."""
