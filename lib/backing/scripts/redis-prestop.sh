#!/bin/sh
# preStop of a Redis member (rolling update, eviction, drain): a master hands over before it
# stops, so the member that restarts never finds itself named master with no data. Usage:
# `sh prestop.sh LIVE_DIR`. Bounded: it always exits 0 within {{HANDOVER_SECONDS}} s, and the
# pod's grace period is longer.
set -u
live_dir="${1:?live dir}"
self="$(sed -n 's/^replica-announce-ip //p' "$live_dir/redis.conf" | tr -d '"')" # redis quotes it if it ever rewrites the file
role="$(timeout 3 redis-cli -h "$self" -p {{REDIS_PORT}} --raw INFO replication 2>/dev/null | sed -n 's/^role:\([a-z]*\).*/\1/p')"
if [ "$role" != "master" ]; then
  echo "prestop: $self is ${role:-not answering}, nothing to hand over"
  exit 0
fi
deadline=$(( $(date +%s) + {{HANDOVER_SECONDS}} ))
# One sentinel is enough to start a failover; ask until one accepts.
for host in {{MEMBERS}}; do
  if timeout 3 redis-cli -h "$host" -p {{SENTINEL_PORT}} --raw SENTINEL failover {{MASTER_NAME}} 2>/dev/null | grep -q '^OK'; then
    echo "prestop: sentinel $host started a failover away from $self"
    break
  fi
done
while [ "$(date +%s)" -lt "$deadline" ]; do
  for host in {{MEMBERS}}; do
    answer="$(timeout 3 redis-cli -h "$host" -p {{SENTINEL_PORT}} --raw SENTINEL get-master-addr-by-name {{MASTER_NAME}} 2>/dev/null | head -n 1)" || true
    if [ -n "$answer" ] && [ "$answer" != "$self" ]; then
      echo "prestop: sentinel $host names $answer as master; $self can stop"
      exit 0
    fi
  done
  sleep 1
done
echo "prestop: no other master was named within {{HANDOVER_SECONDS}} s; stopping anyway" >&2
exit 0
