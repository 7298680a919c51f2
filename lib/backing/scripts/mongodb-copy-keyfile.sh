#!/bin/sh
# Copies the replica-set keyfile so that mongod (this UID) owns it with mode 0400.
set -eu
rm -f {{KEYFILE}}
cp {{KEYFILE_SECRET_DIR}}/keyfile {{KEYFILE}}
chmod 0400 {{KEYFILE}}
