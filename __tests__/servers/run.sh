#!/usr/bin/env bash
# The real-server stage: each suite starts Debian's server software on loopback with the
# configuration files exactly as synthesized into dist/, and stops everything it started.
set -euo pipefail
cd "$(dirname "$0")/../.."
exec npx --no-install jest -c jest.servers.config.js --runInBand "$@"
