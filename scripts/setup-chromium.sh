#!/bin/sh
# Installs Debian's chromium for the playground's browser tests (Playwright drives it through
# executable_path, so Playwright's own browser download is never needed). Idempotent: does nothing
# when /usr/bin/chromium is already there. Needs root (or sudo) and the Debian archive.
set -eu

if [ -x /usr/bin/chromium ]; then
    exit 0
fi

if [ "$(id -u)" -eq 0 ]; then
    SUDO=""
elif command -v sudo >/dev/null 2>&1; then
    SUDO="sudo"
else
    echo "setup-chromium: /usr/bin/chromium is missing and this user cannot install it;" >&2
    echo "setup-chromium: run 'apt-get install -y chromium' as root (the browser tests will be skipped)" >&2
    exit 0
fi

export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -q
$SUDO apt-get install -y -q --no-install-recommends chromium fonts-dejavu-core fonts-noto-color-emoji
