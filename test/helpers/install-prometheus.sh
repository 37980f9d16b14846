#!/usr/bin/env bash
# Installs Debian's Prometheus server (2.42) when it is missing: the adapter tests start one on
# 127.0.0.1 with a temporary data folder. Needs root (or sudo) and Debian's package archive.
set -euo pipefail
command -v prometheus > /dev/null && exit 0
run() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }
run apt-get update -qq
DEBIAN_FRONTEND=noninteractive run apt-get install -y -qq --no-install-recommends prometheus > /dev/null
prometheus --version | head -1
