#!/bin/sh
# Initialises replica set {{REPLICA_SET}} and st2's user. Idempotent: safe to re-run.
set -eu
deadline=$(( $(date +%s) + {{TIMEOUT_SECONDS}} ))
for member in {{MEMBERS}}; do
  echo "waiting for $member to answer"
  until mongosh --quiet --norc "mongodb://$member/admin?directConnection=true&serverSelectionTimeoutMS=3000" --eval 'db.adminCommand({ ping: 1 }).ok' >/dev/null 2>&1; do
    if [ "$(date +%s)" -ge "$deadline" ]; then
      echo "$member did not answer within the time allowed" >&2
      exit 1
    fi
    sleep 3
  done
done
mongosh --quiet --norc "{{FIRST_MEMBER_URI}}" --file {{SCRIPTS_DIR}}/{{INITIATE_FILE}}
mongosh --quiet --norc "{{REPLICA_SET_URI}}" --file {{SCRIPTS_DIR}}/{{CREATE_USER_FILE}}
echo "replica set and user are in place"
