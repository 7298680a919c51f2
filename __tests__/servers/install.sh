#!/usr/bin/env bash
# Installs the real servers the server-stage tests run, and the Python client libraries st2
# uses that its drills need (Debian packages; none auto-start).
set -euo pipefail
packages=(nginx redis-server redis-sentinel zookeeper default-jre-headless rabbitmq-server postgresql dnsmasq-base openssl netcat-openbsd
  python3-oslo.config python3-pymongo python3-tooz python3-redis python3-kazoo python3-kombu)
missing=()
for p in "${packages[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
if [ ${#missing[@]} -gt 0 ]; then
  sudo_cmd=""; [ "$(id -u)" -eq 0 ] || sudo_cmd="sudo"
  $sudo_cmd apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
echo "real servers installed: ${packages[*]}"
