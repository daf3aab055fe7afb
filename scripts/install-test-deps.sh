#!/usr/bin/env bash
# Installs the Debian packages the tests need, if any is missing: network
# namespaces and NAT (iproute2, iptables, iputils-ping, procps) and the Docker
# image test (podman, debootstrap), the web app's browser test (chromium, a font).
# Runs before `npm test` (npm's pretest) and
# from .ci/run. Installs only as root; otherwise it says what is missing and
# the tests that need it skip themselves with a message (outside CI).
set -euo pipefail

PACKAGES=(iproute2 iptables iputils-ping procps ca-certificates podman debootstrap tmux chromium fonts-dejavu-core)

missing=()
for pkg in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$pkg")
  fi
done

if ((${#missing[@]} == 0)); then
  exit 0
fi

if [[ "$(id -u)" != 0 ]] || ! command -v apt-get >/dev/null; then
  echo "test dependencies missing (not installed: need root and apt-get): ${missing[*]}" >&2
  exit 0
fi

log="$(mktemp -t securechat-apt.XXXXXX.log)"
trap 'rm -f "$log"' EXIT
echo "installing test dependencies: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
if ! { apt-get update && apt-get install -y --no-install-recommends "${missing[@]}"; } >"$log" 2>&1 </dev/null; then
  cat "$log" >&2
  echo "apt-get failed" >&2
  exit 1
fi
