#!/usr/bin/env bash
# Post-deploy smoke test, run as a Job in the st2actionrunner image: the GitOps counterpart of
# `helm test`. It proves st2 works end to end (login, every HTTP service, an action on a
# runner, the datastore, system content), not merely that pods are Ready. Configured by
# environment only, so the manifest needs no arguments. Output is TAP-like: one `ok` /
# `not ok` line per check, then `N passed, M failed`; the exit code is non-zero on any failure.
set -uo pipefail

ST2=${ST2_CLI:-st2}
PY=${SMOKE_PYTHON:-/opt/stackstorm/st2/bin/python}
EXPECT_USER=${SMOKE_EXPECT_USER:-stanley}
EXPECT_VERSION=${SMOKE_EXPECT_VERSION:-}
RBAC=${SMOKE_RBAC:-false}
WAIT=${SMOKE_WAIT_SECONDS:-600}
RETRY=${SMOKE_RETRY_SECONDS:-5}

passed=0
failed=0
ok() { passed=$((passed + 1)); echo "ok - $1"; }
not_ok() { failed=$((failed + 1)); echo "not ok - $1: $2"; }
finish() { echo "$passed passed, $failed failed"; [ "$failed" -eq 0 ] && exit 0; exit 1; }
# Error output can span many lines; one line keeps the report readable.
oneline() { tr '\n' ' ' <<<"$1" | tr -s ' ' | sed 's/^ //; s/ $//' | cut -c1-300; }

# A misconfigured Job would otherwise fail as "st2 never answered" after the whole wait.
config_errors=()
for var in ST2_API_URL ST2_AUTH_URL ST2_STREAM_URL ST2_AUTH_USERNAME ST2_AUTH_PASSWORD; do
  [ -n "${!var:-}" ] || config_errors+=("$var is not set")
done
[[ $WAIT =~ ^[0-9]+$ ]] || config_errors+=("SMOKE_WAIT_SECONDS=$WAIT is not a whole number")
[[ $RETRY =~ ^[0-9]+(\.[0-9]+)?$ ]] || config_errors+=("SMOKE_RETRY_SECONDS=$RETRY is not a number")
[[ $RBAC == true || $RBAC == false ]] || config_errors+=("SMOKE_RBAC=$RBAC is not true or false")
if [ ${#config_errors[@]} -gt 0 ]; then
  not_ok "configuration" "$(IFS=';'; echo "${config_errors[*]}") (look at the Job's env)"
  finish
fi

# The st2 CLI accepts service URLs with or without /v1; the probes need the bare origin.
origin() { local url=${1%/}; echo "${url%/v1}"; }
API=$(origin "$ST2_API_URL")
AUTH=$(origin "$ST2_AUTH_URL")
STREAM=$(origin "$ST2_STREAM_URL")

# The CLI has no command that shows whether a service answers at all, hence plain HTTP.
# Prints status, Content-Type, then at most LIMIT body bytes: st2stream never ends a
# response, so the probe must not read to the end. The token travels by env, not argv (ps).
PROBE='
import os, ssl, sys
try:
    from urllib.request import Request, urlopen
    from urllib.error import HTTPError
except ImportError:  # Python 2.7: the st2 2.x images
    from urllib2 import Request, urlopen, HTTPError
method, url, limit = sys.argv[1], sys.argv[2], int(sys.argv[3])
body = getattr(sys.stdin, "buffer", sys.stdin).read() if method == "POST" else None
headers = {"X-Auth-Token": os.environ.get("ST2_AUTH_TOKEN", ""), "Content-Type": "application/json"}
# A body makes it a POST, none a GET, on both Pythons.
request = Request(url, data=body, headers=headers)
context = ssl.create_default_context(cafile=os.environ.get("ST2_CACERT") or None)
try:
    response = urlopen(request, timeout=10, context=context)
except HTTPError as error:
    response = error
except Exception as error:
    sys.exit("no answer from %s: %s" % (url, error))
out = getattr(sys.stdout, "buffer", sys.stdout)
out.write(("%d\n%s\n" % (response.getcode(), response.info().get("Content-Type", ""))).encode("utf-8"))
out.write(response.read(limit))
'
# probe METHOD URL LIMIT (POST body on stdin); sets status, ctype and body.
probe() {
  local out
  if ! out=$(timeout 20 "$PY" -c "$PROBE" "$@" 2>&1); then
    status=none ctype='' body=$(oneline "$out")
    return 1
  fi
  { read -r status; read -r ctype; body=$(cat); } <<<"$out"
}

# Nothing to test until login works, and `kubectl apply` / Flux start this Job together with
# st2 itself, so the first minutes of refusals are expected: retry, but only for so long.
# `st2 auth -t` prints the token without writing ~/.st2, which may be read-only.
# Microseconds, since whole-second $SECONDS would cut a short wait by up to a second.
# Bash before 5.0 (the st2 2.x images) has no EPOCHREALTIME: whole seconds there.
now_us() { if [ -n "${EPOCHREALTIME:-}" ]; then echo "${EPOCHREALTIME/[.,]/}"; else echo "$(date +%s)000000"; fi; }
started=$(now_us)
elapsed() { echo $((($(now_us) - started) / 1000000)); }
attempts=0
while :; do
  attempts=$((attempts + 1))
  # --password=: a password that starts with "-" would otherwise be read as an option.
  if out=$(timeout 30 "$ST2" auth "$ST2_AUTH_USERNAME" --password="$ST2_AUTH_PASSWORD" -t 2>&1); then
    token=$(tail -n1 <<<"$out")
    [[ $token =~ ^[A-Za-z0-9]+$ ]] && break
  fi
  if (($(now_us) - started >= WAIT * 1000000)); then
    not_ok "st2 login as $ST2_AUTH_USERNAME" "st2auth at $ST2_AUTH_URL did not accept the login within ${WAIT}s ($attempts attempts); last answer: $(oneline "${out:-nothing (timed out)}") (look at the st2auth and st2api pods, MongoDB, and the admin Secret)"
    finish
  fi
  sleep "$RETRY"
done
export ST2_AUTH_TOKEN=$token
ok "st2 login as $ST2_AUTH_USERNAME (attempt $attempts, after $(elapsed)s)"

# The CLI's version is the image's; the server's is checked with the API below.
if ! out=$("$ST2" --version 2>&1); then
  not_ok "st2 version" "st2 --version failed: $(oneline "$out")"
elif [ -n "$EXPECT_VERSION" ] && [[ $out != *"st2 $EXPECT_VERSION"* ]]; then
  not_ok "st2 version" "expected $EXPECT_VERSION, got '$(oneline "$out")' (look at the image tag)"
else
  ok "st2 version ($(oneline "$out"))"
fi

version_re='"version": *"([^"]+)"'
if ! probe GET "$API/v1" 4096 </dev/null; then
  not_ok "st2api answers" "$body (look at the st2api pods and Service)"
elif [ "$status" != 200 ] || ! [[ $body =~ $version_re ]]; then
  not_ok "st2api answers" "GET $API/v1 gave HTTP $status: $(oneline "$body") (look at the st2api logs)"
elif [ -n "$EXPECT_VERSION" ] && [[ ${BASH_REMATCH[1]} != "$EXPECT_VERSION"* ]]; then
  not_ok "st2api answers" "st2api runs ${BASH_REMATCH[1]}, expected $EXPECT_VERSION (look at the st2api image tag)"
else
  ok "st2api answers (version ${BASH_REMATCH[1]})"
fi

valid_re='"valid": *true'
# A here-string, not a pipe: probe sets variables, which a pipeline subshell would lose.
if ! probe POST "$AUTH/v1/tokens/validate" 4096 <<<"{\"token\": \"$ST2_AUTH_TOKEN\"}"; then
  not_ok "st2auth answers" "$body (look at the st2auth pods and Service)"
elif [ "$status" != 200 ] || ! [[ $body =~ $valid_re ]]; then
  not_ok "st2auth answers" "validating the login token gave HTTP $status: $(oneline "$body") (look at the st2auth logs)"
else
  ok "st2auth answers (login token valid)"
fi

if ! probe GET "$STREAM/v1/stream" 1 </dev/null; then
  not_ok "st2stream answers" "$body (look at the st2stream pods and Service)"
elif [ "$status" != 200 ] || [[ $ctype != text/event-stream* ]]; then
  not_ok "st2stream answers" "GET $STREAM/v1/stream gave HTTP $status, Content-Type '$ctype' (look at the st2stream logs)"
else
  ok "st2stream answers (event stream opened)"
fi

# Registered content lives in MongoDB. Under kubectl and Flux the register-content Job runs
# beside this one and st2auth takes logins before it is done, so wait for it (same deadline).
while :; do
  if ! out=$(timeout 60 "$ST2" action list --pack=core 2>&1); then
    content_problem="st2 action list failed: $(oneline "$out")"
  elif ! grep -qwF core.local <<<"$out"; then
    content_problem="core.local is not listed (look at the register-content Job)"
  else
    content_problem=''
    break
  fi
  (($(now_us) - started >= WAIT * 1000000)) && break
  sleep "$RETRY"
done
if [ -n "$content_problem" ]; then
  not_ok "core actions registered" "$content_problem, still after ${WAIT}s"
else
  ok "core actions registered"
fi

# The full path: API -> RabbitMQ -> scheduler -> action runner, as the system user. st2 run
# exits 0 on a timed-out execution, so the status is read from the JSON.
out=$(timeout 180 "$ST2" run -j core.local cmd=id 2>&1)
rc=$?
run_stdout=$(grep -m1 '"stdout":' <<<"$out")
if [ "$rc" -ne 0 ] && ! grep -q '"status":' <<<"$out"; then
  not_ok "core.local runs as $EXPECT_USER" "st2 run failed (exit $rc): $(oneline "$out") (look at the scheduler and action runner logs)"
elif ! grep -Eq '"status": *"succeeded' <<<"$out"; then
  not_ok "core.local runs as $EXPECT_USER" "the execution did not succeed: $(oneline "$(grep -E '"(status|stderr)":' <<<"$out")") (look at the action runner logs)"
elif [[ $run_stdout != *"($EXPECT_USER)"* ]]; then
  not_ok "core.local runs as $EXPECT_USER" "id printed $(oneline "${run_stdout#*:}") (look at [system_user] in st2.conf and the $EXPECT_USER account in the runner image)"
else
  ok "core.local runs as $EXPECT_USER"
fi

# The key the remote runner and ssh from local actions use: stanley's own, not readable by others.
ssh_dir=/home/stanley/.ssh
out=$(timeout 180 "$ST2" run -j core.local "cmd=stat -c '%U %a %n' $ssh_dir $ssh_dir/stanley_rsa" 2>&1)
ssh_stdout=$(grep -m1 '"stdout":' <<<"$out")
if ! grep -Eq '"status": *"succeeded' <<<"$out"; then
  not_ok "ssh key installed for $EXPECT_USER" "stat of $ssh_dir did not succeed: $(oneline "$(grep -E '"(status|stderr)":' <<<"$out")") (look at the action runner's ssh-key init container)"
elif [[ $ssh_stdout != *"$EXPECT_USER 500 $ssh_dir\n$EXPECT_USER 400 $ssh_dir/stanley_rsa"* ]]; then
  not_ok "ssh key installed for $EXPECT_USER" "expected $ssh_dir $EXPECT_USER-owned 500 and the key 400, got $(oneline "${ssh_stdout#*:}") (look at the action runner's ssh-key init container)"
else
  ok "ssh key installed for $EXPECT_USER"
fi

# A unique key, so parallel or leftover runs cannot make each other pass.
key="smoke-test-$$-$RANDOM"
value="value-$RANDOM$RANDOM"
kv_fail=''
if ! out=$(timeout 60 "$ST2" key set "$key" "$value" 2>&1); then
  kv_fail="set failed: $(oneline "$out")"
elif ! out=$(timeout 60 "$ST2" key get "$key" -j 2>&1) || [[ $out != *"\"$value\""* ]]; then
  kv_fail="get did not return the value set: $(oneline "$out")"
elif ! out=$(timeout 60 "$ST2" key delete "$key" 2>&1); then
  kv_fail="delete failed: $(oneline "$out")"
elif out=$(timeout 60 "$ST2" key get "$key" 2>&1); then
  kv_fail="the key is still there after delete: $(oneline "$out")"
fi
if [ -n "$kv_fail" ]; then
  timeout 60 "$ST2" key delete "$key" >/dev/null 2>&1 # best effort: leave no litter behind
  not_ok "key-value set/get/delete" "$key: $kv_fail (look at the st2api logs and MongoDB)"
else
  ok "key-value set/get/delete"
fi

# chatops is a system pack shipped in the image; its rule proves system packs got registered.
if ! out=$(timeout 60 "$ST2" rule get chatops.notify -j 2>&1) || [[ $out != *chatops.notify* ]]; then
  not_ok "chatops rule loaded" "st2 rule get chatops.notify: $(oneline "$out") (look at the register-content Job)"
else
  ok "chatops rule loaded"
fi

if [ "$RBAC" = true ]; then
  # whoami exits 0 even when it fails, so only its text tells.
  out=$(timeout 60 "$ST2" whoami 2>&1)
  if ! grep -Eq 'Enabled: *True' <<<"$out"; then
    not_ok "RBAC enabled" "st2 whoami: $(oneline "$out") (look at [rbac] in st2.conf)"
  else
    ok "RBAC enabled"
  fi
  if ! out=$(timeout 60 "$ST2" role list 2>&1); then
    not_ok "RBAC roles listed" "st2 role list failed: $(oneline "$out") (look at the RBAC backend and the admin's role assignment)"
  elif ! grep -qwF system_admin <<<"$out"; then
    not_ok "RBAC roles listed" "system_admin is not listed (look at the apply-rbac-definitions Job)"
  else
    ok "RBAC roles listed"
  fi
fi

finish
