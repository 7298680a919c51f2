#!/usr/bin/env bash
# The real-server stage: each suite starts Debian's server software on loopback with the
# configuration files exactly as synthesized into dist/, and stops everything it started.
set -euo pipefail
cd "$(dirname "$0")/../.."
# Bounded: a hung server or client must fail the stage, not wait for CI's 90-minute limit.
exec timeout --kill-after=30 1200 npx --no-install jest -c jest.servers.config.js --runInBand "$@"
