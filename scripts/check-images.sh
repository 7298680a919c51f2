#!/usr/bin/env bash
# Pulls the pinned official StackStorm images and checks the facts the generated manifests
# rely on: stanley's UID/GID (the numeric runAsUser/runAsGroup), /etc/st2 contents, the
# shipped system packs, the coordination drivers in the st2 virtualenv, and the amd64
# architecture. Needs docker or podman and network access; it is not run in CI.
#
#   scripts/check-images.sh [--runtime docker|podman] [--registry docker.io/stackstorm] [--version 3.9.0]
#
# Prints `ok   <image>: <fact>` or `FAIL <image>: <fact>: expected X, found Y` per fact,
# `info` lines for values that are reported but not checked, then `N passed, M failed`.
# Exit status: 0 all passed, 1 a check failed, 2 usage error or no usable runtime.
# Bash 3.2 compatible (macOS /bin/bash). The in-container probes are POSIX sh (dash).
set -uo pipefail

PINNED_VERSION=3.9.0           # the release the manifests pin (release.version)
DEFAULT_REGISTRY=docker.io/stackstorm

# ---- Expected values, one per fact. Sources: StackStorm/st2-dockerfiles (DF),
# StackStorm/st2-packages v3.9 packages/st2 (PK), StackStorm/st2 v3.9.0 (ST),
# Debian adduser 3.118 (AU), nginx/pkg-oss (NG).
EXPECT_ARCH=amd64                  # inferred: every DF FROM is --platform=linux/amd64, no multi-arch step (DF Makefile:41-57)
EXPECT_STANLEY_UID=1000            # inferred: adduser's first regular UID on jammy (PK debian/preinst:36-48, AU adduser.conf:30-42)
EXPECT_STANLEY_GID=1000            # inferred: `adduser --group stanley` takes the first regular GID (same sources)
EXPECT_STANLEY_HOME_OWNER=1000     # adduser creates /home/stanley from /etc/skel, owned by stanley (AU adduser:894-922)
EXPECT_ST2_USER=st2                # the services run `USER st2` (DF st2api/Dockerfile:5); uid:gid is reported only
EXPECT_HTPASSWD_TYPE="regular file"  # empty file st2:st2 600 (PK Makefile:69, debian/postinst:34)
EXPECT_ST2CONF_TYPE="regular file"   # root:root 644, crudini-merged at build (PK Makefile:70, DF base/Dockerfile:72-77)
EXPECT_SYSTEM_PACKS="core packs linux chatops default"  # in /opt/stackstorm/packs (PK debian/install:1-5)
EXPECT_ST2_PY_MODULES="kazoo tooz redis"  # tooz/redis pinned, kazoo via zake (ST fixed-requirements.txt:53,71; lockfiles/st2.lock:2454-2479)
EXPECT_WEB_USER=nginx              # nginx workers' user, useradd --system (NG debian/debian/nginx.preinst:6-22); uid is reported only
EXPECT_CHATOPS_DIR=/opt/stackstorm/chatops  # the chatops WORKDIR (DF st2chatops/Dockerfile:59)

ST2_PYTHON=/opt/stackstorm/st2/bin/python   # the st2 virtualenv (PK debian/rules:12,23)
ST2_IMAGES="st2actionrunner st2api st2auth st2stream st2rulesengine st2scheduler st2workflowengine st2timersengine st2notifier st2sensorcontainer st2garbagecollector"

usage() {
  cat <<EOF
Usage: $0 [--runtime docker|podman] [--registry REGISTRY] [--version TAG]

Pulls <registry>/<image>:<version> for the st2 service images, st2web and st2chatops,
and checks the facts the manifests rely on (stanley is ${EXPECT_STANLEY_UID}:${EXPECT_STANLEY_GID}, /etc/st2 files,
system packs, kazoo/tooz/redis, ${EXPECT_ARCH}).

  --runtime   docker or podman (default: docker if on PATH, else podman)
  --registry  image registry/namespace (default: ${DEFAULT_REGISTRY})
  --version   image tag (default: PINNED_VERSION=${PINNED_VERSION})
EOF
}

die() { echo "check-images: $*" >&2; exit 2; }

runtime="" registry="$DEFAULT_REGISTRY" version="$PINNED_VERSION"
while [ $# -gt 0 ]; do
  case "$1" in
    --runtime|--registry|--version)
      [ $# -ge 2 ] && [ -n "$2" ] || die "$1 needs a value (see --help)"
      case "$1" in --runtime) runtime=$2 ;; --registry) registry=$2 ;; --version) version=$2 ;; esac
      shift 2 ;;
    --runtime=*) runtime=${1#*=}; shift ;;
    --registry=*) registry=${1#*=}; shift ;;
    --version=*) version=${1#*=}; shift ;;
    -h|--help) usage; exit 0 ;;
    *) usage >&2; die "unknown argument: $1" ;;
  esac
done
registry=${registry%/}
[ -n "$registry" ] || die "--registry is empty"
[ -n "$version" ] || die "--version is empty"

if [ -z "$runtime" ]; then
  if command -v docker >/dev/null 2>&1; then runtime=docker
  elif command -v podman >/dev/null 2>&1; then runtime=podman
  else die "neither docker nor podman is on PATH: install one of them"
  fi
fi
case "$runtime" in docker|podman) ;; *) die "--runtime must be docker or podman, not '$runtime'" ;; esac
command -v "$runtime" >/dev/null 2>&1 || die "$runtime is not on PATH"
if ! err=$("$runtime" version 2>&1 >/dev/null); then
  hint=""
  [ "$runtime" = docker ] && command -v podman >/dev/null 2>&1 && hint="; or use --runtime podman"
  die "'$runtime version' failed: is its daemon running? ($(printf '%s\n' "$err" | tail -n 1))$hint"
fi

passed=0 failed=0
ok()   { passed=$((passed + 1)); echo "ok   $1: $2"; }
fail() { failed=$((failed + 1)); echo "FAIL $1: $2: expected $3, found $4"; }
info() { echo "info $1: $2"; }
# check IMAGE FACT EXPECTED FOUND
check() { if [ "$3" = "$4" ]; then ok "$1" "$2"; else fail "$1" "$2" "$3" "$4"; fi; }

# The value of KEY in the probe output; `no answer` (with the run error) when absent.
probe_out="" probe_err=""
field() {
  local line
  while IFS= read -r line; do
    case "$line" in "$1="*) printf '%s\n' "${line#*=}"; return ;; esac
  done <<<"$probe_out"
  printf 'no answer from the container%s\n' "${probe_err:+ ($probe_err)}"
}

# probe IMAGE_REF SCRIPT [ARG...]: runs SCRIPT with /bin/sh as root in a throwaway container
# with no network; its key=value lines land in probe_out.
probe() {
  local ref=$1 script=$2 rc
  shift 2
  probe_out=$("$runtime" run --rm --network none --user 0 --entrypoint /bin/sh "$ref" -c "$script" probe "$@" 2>&1)
  rc=$?
  probe_err=""
  [ "$rc" -eq 0 ] || probe_err="$runtime run exited $rc: $(printf '%s\n' "$probe_out" | tail -n 1)"
}

# Shared sh helper: what kind of path $1 is, without following a final symlink.
KIND_SH='kind() { if [ -L "$1" ]; then echo symlink; elif [ -d "$1" ]; then echo directory;
  elif [ -f "$1" ]; then echo "regular file"; elif [ -e "$1" ]; then echo other; else echo missing; fi; }
ids() { if id "$1" >/dev/null 2>&1; then echo "$(id -u "$1"):$(id -g "$1")"; else echo none; fi; }'

# $1 = the packs to look for, $2 = the modules to import, $3 = the virtualenv python.
ST2_PROBE="$KIND_SH"'
echo "stanley_uid=$(id -u stanley 2>/dev/null || echo "no user stanley")"
echo "stanley_gid=$(id -g stanley 2>/dev/null || echo "no user stanley")"
echo "st2_ids=$(ids st2)"
echo "htpasswd=$(kind /etc/st2/htpasswd)"
echo "st2conf=$(kind /etc/st2/st2.conf)"
missing=""
for p in $1; do [ -d "/opt/stackstorm/packs/$p" ] || missing="$missing $p"; done
if [ -z "$missing" ]; then echo "packs=all present"; else echo "packs=missing:$missing"; fi
mods=$(echo $2 | tr " " ",")
if err=$("$3" -c "import $mods" 2>&1); then echo imports=ok
else echo "imports=$(printf "%s\n" "$err" | tail -n 1)"; fi
if [ -d /home/stanley ]; then echo "stanley_home=$(stat -c %u /home/stanley)"
else echo "stanley_home=$(kind /home/stanley)"; fi
exit 0'

WEB_PROBE="$KIND_SH"'
echo "web_ids=$(ids "$1")"
exit 0'

CHATOPS_PROBE="$KIND_SH"'
echo "chatops_dir=$(kind "$1")"
exit 0'

# pull_and_arch IMAGE REF: 0 when pulled (arch checked), 1 when the pull failed.
pull_and_arch() {
  local out arch
  if ! out=$("$runtime" pull "$2" 2>&1); then
    fail "$1" "pull $2" "a pulled image" "$(printf '%s\n' "$out" | tail -n 1) (other checks skipped)"
    return 1
  fi
  arch=$("$runtime" image inspect --format '{{.Architecture}}' "$2" 2>&1) || arch="image inspect failed: $(printf '%s\n' "$arch" | tail -n 1)"
  check "$1" "architecture is $EXPECT_ARCH" "$EXPECT_ARCH" "$arch"
  return 0
}

echo "Checking ${registry}/<image>:${version} with ${runtime}"
stanley_pairs=""   # "image=uid:gid" for each st2 image that answered
for img in $ST2_IMAGES; do
  ref="${registry}/${img}:${version}"
  pull_and_arch "$img" "$ref" || continue
  probe "$ref" "$ST2_PROBE" "$EXPECT_SYSTEM_PACKS" "$EXPECT_ST2_PY_MODULES" "$ST2_PYTHON"
  uid=$(field stanley_uid) gid=$(field stanley_gid)
  check "$img" "stanley's UID is $EXPECT_STANLEY_UID (id -u stanley)" "$EXPECT_STANLEY_UID" "$uid"
  check "$img" "stanley's GID is $EXPECT_STANLEY_GID (id -g stanley)" "$EXPECT_STANLEY_GID" "$gid"
  case "$uid:$gid" in *[!0-9:]*|:*|*:) ;; *) stanley_pairs="$stanley_pairs $img=$uid:$gid" ;; esac
  st2_ids=$(field st2_ids)
  case "$st2_ids" in
    none|"no answer"*) fail "$img" "user $EXPECT_ST2_USER exists" "a passwd entry" "$st2_ids" ;;
    *) ok "$img" "user $EXPECT_ST2_USER exists"
       info "$img" "$EXPECT_ST2_USER is uid:gid $st2_ids (informational: not deterministic across builds; our manifests do not depend on it)" ;;
  esac
  check "$img" "/etc/st2/htpasswd is a $EXPECT_HTPASSWD_TYPE" "$EXPECT_HTPASSWD_TYPE" "$(field htpasswd)"
  check "$img" "/etc/st2/st2.conf is a $EXPECT_ST2CONF_TYPE" "$EXPECT_ST2CONF_TYPE" "$(field st2conf)"
  check "$img" "/opt/stackstorm/packs holds $EXPECT_SYSTEM_PACKS" "all present" "$(field packs)"
  mods=${EXPECT_ST2_PY_MODULES// /,}
  imports=$(field imports)
  if [ "$imports" = ok ]; then ok "$img" "$ST2_PYTHON imports $mods"
  else fail "$img" "$ST2_PYTHON imports $mods" "no error" "$imports"
  fi
  check "$img" "/home/stanley is owned by UID $EXPECT_STANLEY_HOME_OWNER" "$EXPECT_STANLEY_HOME_OWNER" "$(field stanley_home)"
done

img=st2web ref="${registry}/st2web:${version}"
if pull_and_arch "$img" "$ref"; then
  probe "$ref" "$WEB_PROBE" "$EXPECT_WEB_USER"
  web_ids=$(field web_ids)
  case "$web_ids" in
    none|"no answer"*) fail "$img" "user $EXPECT_WEB_USER exists" "a passwd entry" "$web_ids" ;;
    *) ok "$img" "user $EXPECT_WEB_USER exists"
       info "$img" "$EXPECT_WEB_USER is uid:gid $web_ids (informational: the nginx master runs as root, workers as $EXPECT_WEB_USER)" ;;
  esac
fi

img=st2chatops ref="${registry}/st2chatops:${version}"
if pull_and_arch "$img" "$ref"; then
  probe "$ref" "$CHATOPS_PROBE" "$EXPECT_CHATOPS_DIR"
  check "$img" "$EXPECT_CHATOPS_DIR is a directory" "directory" "$(field chatops_dir)"
fi

echo "$passed passed, $failed failed"

# What to set when stanley's ids are not the ones the manifests assume.
want="$EXPECT_STANLEY_UID:$EXPECT_STANLEY_GID"
distinct=$(for p in $stanley_pairs; do echo "${p#*=}"; done | sort -u)
if [ -z "$distinct" ]; then
  echo "stanley's ids were not read from any st2 image. Once they are, and if they are not $want,"
  echo "set release.st2RunAs: { user: <uid>, group: <gid> } to them."
elif [ "$distinct" = "$want" ]; then
  echo "stanley is $want in every st2 image that answered, as the manifests assume: nothing to set."
  echo "(If a rebuild changes that, set release.st2RunAs: { user: <uid>, group: <gid> } to the new ids.)"
elif [ "$(printf '%s\n' "$distinct" | wc -l | tr -d ' ')" = 1 ]; then
  echo "stanley is $distinct, not $want: set release.st2RunAs: { user: ${distinct%%:*}, group: ${distinct#*:} }"
  echo "(and check that /home/stanley is owned by ${distinct%%:*} above)."
else
  echo "stanley's ids differ between images:$stanley_pairs"
  echo "release.st2RunAs: { user: <uid>, group: <gid> } takes one pair: pin images from a single build"
  echo "(or rebuild them with fixed ids) before setting it."
fi

[ "$failed" -eq 0 ]
