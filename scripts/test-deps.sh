#!/bin/sh
# Installs the Debian packages the tests need, when missing (npm test runs this first; so does CI).
# util-linux: unshare, nsenter, setsid · iproute2: ip netns (image test) · python3: fixtures
# debootstrap: the image test's Debian root · binutils, binutils-aarch64-linux-gnu: stripping the single executables
# patchelf: the glibc-carrying build for roots without glibc · musl-tools (musl), busybox-static: the musl root test
# qemu-user-static, libc6-arm64-cross, libstdc++6-arm64-cross: starting the arm64 executable here
# gunicorn, celery, python3-celery, python3-redis, redis-server, python3-django, python3-uvicorn, python3-rq: the real-service tests
# (test/services), run on Debian's /usr/bin/python3; colony supervises its own redis-server there
set -eu
need=""
check() { command -v "$1" >/dev/null 2>&1 || need="$need $2"; }
check unshare util-linux
check nsenter util-linux
check ip iproute2
check python3 python3
check readelf binutils
check strip binutils
check debootstrap debootstrap
check aarch64-linux-gnu-strip binutils-aarch64-linux-gnu
check patchelf patchelf
check musl-gcc musl-tools
[ -x /bin/busybox ] && ! ldd /bin/busybox >/dev/null 2>&1 || need="$need busybox-static" # static: copied into a root without libc
check qemu-aarch64-static qemu-user-static
[ -e /usr/aarch64-linux-gnu/lib/ld-linux-aarch64.so.1 ] || need="$need libc6-arm64-cross libgcc-s1-arm64-cross"
[ -e /usr/aarch64-linux-gnu/lib/libstdc++.so.6 ] || need="$need libstdc++6-arm64-cross"
# by path: a python3 earlier in PATH (pyenv, a venv) does not have Debian's modules
[ -x /usr/bin/gunicorn ] || need="$need gunicorn"
[ -x /usr/bin/celery ] || need="$need celery"
[ -d /usr/lib/python3/dist-packages/celery ] || need="$need python3-celery"
[ -d /usr/lib/python3/dist-packages/redis ] || need="$need python3-redis"
[ -x /usr/bin/redis-server ] || need="$need redis-server"
[ -d /usr/lib/python3/dist-packages/django ] || need="$need python3-django"
[ -d /usr/lib/python3/dist-packages/uvicorn ] || need="$need python3-uvicorn"
[ -x /usr/bin/rq ] || need="$need python3-rq"
[ -z "$need" ] && exit 0
need=$(echo $need | tr ' ' '\n' | sort -u | tr '\n' ' ')
if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null; then
  echo "test-deps: missing Debian packages:$need (install them as root; the tests that need them will fail or skip)" >&2
  exit 0
fi
echo "test-deps: installing$need" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends $need >/dev/null
