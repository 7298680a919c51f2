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

# Named master, but starting with no data: if another member still runs, the sentinels have
# not yet noticed this pod was gone (a crash, a restart faster than down-after). Starting as
# master now would make every replica resync from an empty set and drop st2's locks. Wait,
# bounded, for the sentinels to promote another member; then follow it.
others_answer() {
  for host in {{MEMBERS}}; do
    [ "$host" = "$self" ] && continue
    timeout 3 redis-cli -h "$host" -p {{REDIS_PORT}} ping 2>/dev/null | grep -q PONG && return 0
  done
  return 1
}
if [ "$master" = "$self" ] && others_answer; then
  echo "the sentinels name $self, which has no data, while other members run: waiting for them to promote one"
  deadline=$(( $(date +%s) + {{PROMOTION_WAIT_SECONDS}} ))
  while [ "$master" = "$self" ]; do
    if [ "$(date +%s)" -ge "$deadline" ]; then
      echo "no other member was promoted within {{PROMOTION_WAIT_SECONDS}} s: refusing to start as an empty master (the kubelet retries)" >&2
      exit 1
    fi
    sleep 1
    for host in {{MEMBERS}}; do
      answer="$(timeout 3 redis-cli -h "$host" -p {{SENTINEL_PORT}} --raw SENTINEL get-master-addr-by-name {{MASTER_NAME}} 2>/dev/null | head -n 1)" || true
      case "$answer" in
        ""|*[!A-Za-z0-9.-]*) continue ;;
      esac
      master="$answer"
      break
    done
  done
  echo "sentinels now name $master as master"
fi

grep -v '^replicaof ' "$redis_conf" > "$live_dir/redis.conf"
if [ "$master" != "$self" ]; then
  echo "replicaof $master {{REDIS_PORT}}" >> "$live_dir/redis.conf"
fi
# Sentinel rewrites its file: it gets a writable copy that monitors the current master.
sed "s/^sentinel monitor {{MASTER_NAME}} .*/sentinel monitor {{MASTER_NAME}} $master {{REDIS_PORT}} {{QUORUM}}/" "$sentinel_conf" > "$live_dir/sentinel.conf"
echo "starting $self as $( [ "$master" = "$self" ] && echo master || echo "replica of $master" )"
