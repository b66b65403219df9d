#!/usr/bin/env bash
# The leaderboard site is tested in a real headless browser: Debian's chromium and its driver.
# Installed from the distribution when missing (never downloaded by selenium or playwright).
set -euo pipefail
if command -v chromium >/dev/null 2>&1 && command -v chromedriver >/dev/null 2>&1; then
    exit 0
fi
if ! command -v apt-get >/dev/null 2>&1; then
    echo "install-browser: no apt-get; install chromium and its chromedriver yourself (the browser tests skip without them)" >&2
    exit 0
fi
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends chromium chromium-driver
