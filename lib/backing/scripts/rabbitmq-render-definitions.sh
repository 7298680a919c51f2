#!/bin/sh
# Writes RabbitMQ definitions with st2's password hash computed from ${{PASSWORD_ENV}}.
set -eu
template="$1"
output="$2"
if [ -z "${{{PASSWORD_ENV}}:-}" ]; then
  echo "render-definitions: the Secret's {{PASSWORD_KEY}} key is empty or missing" >&2
  exit 1
fi
umask 077
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
head -c 4 /dev/urandom > "$work/salt"
{ cat "$work/salt"; printf '%s' "${{PASSWORD_ENV}}"; } | openssl dgst -sha256 -binary > "$work/digest"
hash="$(cat "$work/salt" "$work/digest" | base64 | tr -d '\n')"
sed "s#{{PASSWORD_HASH_PLACEHOLDER}}#$hash#" "$template" > "$output.tmp"
mv "$output.tmp" "$output"
