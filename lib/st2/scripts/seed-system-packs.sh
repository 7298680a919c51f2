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

# Replace one pack: copy beside it, then swap, so a reader never sees half a pack for long
# and a failed copy leaves the old one in place.
install_pack() {
  pack=$1
  staging="$volume_packs/.seed-$pack.$$"
  retired="$volume_packs/.retired-$pack.$$"
  rm -rf "$staging" "$retired"
  # -p keeps modes (action scripts stay executable); the owner is whoever runs this.
  cp -R -p "$image_packs/$pack" "$staging"
  if [ -e "$volume_packs/$pack" ]; then mv "$volume_packs/$pack" "$retired"; fi
  mv "$staging" "$volume_packs/$pack"
  rm -rf "$retired"
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
