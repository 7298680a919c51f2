#!/bin/sh
# Copies the packs an st2 image ships into the shared packs volume, which would otherwise
# hide them: without `core` and `packs` there are no actions and `st2 pack install` cannot
# run. Runs before every content registration, so an upgrade brings the new release's
# system packs; packs users installed are never touched.
#
# Usage: seed-system-packs.sh IMAGE_PACKS VOLUME_PACKS REFRESH KEEP
#   REFRESH: comma-separated packs replaced by the image's copy on every run (core, ...)
#   KEEP:    comma-separated packs copied only when the volume has none yet (default:
#            users put their own actions and rules there)
set -eu

image_packs=$1
volume_packs=$2
refresh=$3
keep=$4

# Refresh one pack in place: copy the image's files over the volume's, then remove what the
# image no longer ships. Actions run as root in the action runner and may leave files there
# this (non-root) step cannot delete; those are reported, not fatal, or every later
# registration would fail on them.
install_pack() {
  pack=$1
  mkdir -p "$volume_packs/$pack"
  # -p keeps modes (action scripts stay executable); the owner is whoever runs this.
  if ! cp -R -p "$image_packs/$pack/." "$volume_packs/$pack/"; then
    echo "cannot refresh $pack: files on the volume are not writable by uid $(id -u);" \
      "make the claim owned by it again (chown -R, see README \"Running with the official images\")" >&2
    exit 1
  fi
  (cd "$volume_packs/$pack" && find . -mindepth 1 -depth) | while read -r entry; do
    if [ ! -e "$image_packs/$pack/$entry" ] && [ ! -L "$image_packs/$pack/$entry" ]; then
      rm -rf "$volume_packs/$pack/$entry" 2>/dev/null || echo "left $pack/${entry#./}: not ours to delete (harmless)"
    fi
  done
}

for pack in $(echo "$refresh" | tr ',' ' '); do
  if [ ! -d "$image_packs/$pack" ]; then
    echo "the image has no $image_packs/$pack: is this an st2 image?" >&2
    exit 1
  fi
  install_pack "$pack"
  echo "refreshed $pack"
done

for pack in $(echo "$keep" | tr ',' ' '); do
  if [ -e "$volume_packs/$pack" ]; then
    echo "kept $pack as it is on the volume"
  elif [ -d "$image_packs/$pack" ]; then
    install_pack "$pack"
    echo "seeded $pack"
  fi
done
