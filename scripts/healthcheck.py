"""The container HEALTHCHECK: exit 0 when PostPulse's /health answers 200, 1 otherwise.

A script rather than curl because the slim and CUDA base images ship no curl, and Python is there
anyway. /health is liveness: 200 while the model loads, 503 once the engine died.
"""

from __future__ import annotations

import os
import sys
import urllib.error
import urllib.request


def main() -> int:
    port = os.environ.get("POSTPULSE_PORT", "8080")
    url = f"http://127.0.0.1:{port}/health"
    try:
        with urllib.request.urlopen(url, timeout=4) as response:
            return 0 if response.status == 200 else 1
    except (urllib.error.URLError, OSError) as exc:
        sys.stderr.write(f"healthcheck: {url}: {exc}\n")
        return 1


if __name__ == "__main__":
    sys.exit(main())
