#!/bin/sh
# Rendered by renderRedisBootstrap: picks the master this pod starts with.
set -eu
config_dir="${1:?config dir}"
live_dir="${2:?live dir}"
ordinal="${HOSTNAME##*-}"
redis_conf="$config_dir/redis-$ordinal.conf"
sentinel_conf="$config_dir/sentinel-$ordinal.conf"
[ -f "$redis_conf" ] || { echo "no $redis_conf: is HOSTNAME ($HOSTNAME) a member?" >&2; exit 1; }
self="$(sed -n 's/^replica-announce-ip //p' "$redis_conf")"

master=""
for host in {{MEMBERS}}; do
  # Each question is bounded: an unreachable sentinel must not hold the pod back.
  answer="$(timeout 3 redis-cli -h "$host" -p {{SENTINEL_PORT}} --raw SENTINEL get-master-addr-by-name {{MASTER_NAME}} 2>/dev/null | head -n 1)" || true
  case "$answer" in
    ""|*[!A-Za-z0-9.-]*) continue ;;
  esac
  master="$answer"
  echo "sentinel $host names $master as master"
  break
done
if [ -z "$master" ]; then
  master="{{FIRST_MEMBER}}"
  echo "no sentinel answered: fresh start, $master is master"
fi

grep -v '^replicaof ' "$redis_conf" > "$live_dir/redis.conf"
if [ "$master" != "$self" ]; then
  echo "replicaof $master {{REDIS_PORT}}" >> "$live_dir/redis.conf"
fi
# Sentinel rewrites its file: it gets a writable copy that monitors the current master.
sed "s/^sentinel monitor {{MASTER_NAME}} .*/sentinel monitor {{MASTER_NAME}} $master {{REDIS_PORT}} {{QUORUM}}/" "$sentinel_conf" > "$live_dir/sentinel.conf"
echo "starting $self as $( [ "$master" = "$self" ] && echo master || echo "replica of $master" )"
