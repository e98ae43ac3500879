#!/bin/sh
# Makes (once, then cached) a Debian bookworm minbase root with the example app's Python services
# from Debian packages, and no Node.js. Prints the root's path. Exit 2 when debootstrap or the
# mirror cannot be used (the image test then says so and is skipped).
set -eu
PACKAGES="python3,gunicorn,celery,python3-celery,python3-redis,redis-server"
MIRROR="${COLONY_DEBIAN_MIRROR:-http://deb.debian.org/debian}"
CACHE="${COLONY_IMAGE_CACHE:-/var/cache/colony-image}"
KEY=$(printf '%s %s' "$PACKAGES" "$MIRROR" | sha256sum | cut -c1-12)
ROOT="$CACHE/bookworm-$KEY"
if [ -x "$ROOT/usr/bin/gunicorn" ] && [ -f "$ROOT/.complete" ]; then echo "$ROOT"; exit 0; fi
command -v debootstrap >/dev/null || { echo "debootstrap is not installed" >&2; exit 2; }
mkdir -p "$CACHE"
TMP=$(mktemp -d "$CACHE/.building-XXXXXX")
if ! debootstrap --variant=minbase --include="$PACKAGES" bookworm "$TMP/root" "$MIRROR" >"$TMP/log" 2>&1; then
  tail -5 "$TMP/log" >&2
  rm -rf "$TMP"
  echo "debootstrap failed (mirror $MIRROR unreachable?)" >&2
  exit 2
fi
# No Node.js in the root: colony must not need it.
if [ -e "$TMP/root/usr/bin/node" ] || [ -e "$TMP/root/usr/local/bin/node" ]; then echo "the root has node" >&2; exit 1; fi
touch "$TMP/root/.complete"
rm -rf "$ROOT"
mv "$TMP/root" "$ROOT"
rm -rf "$TMP"
echo "$ROOT"
