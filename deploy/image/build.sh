#!/usr/bin/env bash
# Builds the copt image with podman where no registry is reachable to pull node:20-bookworm-slim:
# a Debian bookworm base made with debootstrap (Debian's mirror is reachable), this machine's Node 20
# and npm copied in, then the Containerfile on that base. With a registry, `podman build -t copt .`
# is all it takes. Needs root, podman, runc and debootstrap (Debian packages).
#   deploy/image/build.sh [TAG]          (default copt:0.1.0)
set -euo pipefail
cd "$(dirname "$0")/../.."
tag=${1:-copt:0.1.0}
base=${COPT_BASE_IMAGE:-localhost/copt-node20-base:bookworm}
mirror=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
# crun, podman's default runtime, fails on this machine's hybrid cgroups; Debian's runc works
podman=(podman --runtime runc)

if ! "${podman[@]}" image exists "$base"; then
  node=$(readlink -f "$(command -v node)")
  npm_dir=$(dirname "$(readlink -f "$(command -v npm)")")/..
  [[ "$("$node" --version)" == v20.* ]] || { echo "build.sh: the base takes this machine's Node, which must be 20 (found $("$node" --version))" >&2; exit 2; }
  root=$(mktemp -d)
  trap 'rm -rf "$root"' EXIT
  echo "build.sh: making $base with debootstrap (bookworm, minbase) and Node $("$node" --version)"
  debootstrap --variant=minbase bookworm "$root" "$mirror" > "$root.debootstrap.log" 2>&1 || { tail -20 "$root.debootstrap.log" >&2; exit 1; }
  rm -f "$root.debootstrap.log"
  install -m 0755 "$node" "$root/usr/local/bin/node"
  mkdir -p "$root/usr/local/lib/node_modules"
  cp -a "$(readlink -f "$npm_dir")" "$root/usr/local/lib/node_modules/npm"
  ln -s ../lib/node_modules/npm/bin/npm-cli.js "$root/usr/local/bin/npm"
  ln -s ../lib/node_modules/npm/bin/npx-cli.js "$root/usr/local/bin/npx"
  # the machine's trust store, so that the build stage's npm ci trusts what this machine does (a proxy's CA included)
  install -D -m 0644 /etc/ssl/certs/ca-certificates.crt "$root/etc/ssl/certs/ca-certificates.crt"
  rm -rf "$root"/var/cache/apt/archives/*.deb "$root"/var/lib/apt/lists/*
  tar -C "$root" -c . | "${podman[@]}" import --change 'ENV PATH=/usr/local/bin:/usr/bin:/bin' \
    --change 'ENV NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt' - "$base"
fi

# the build stage's npm ci reaches the npm registry through the host's network
"${podman[@]}" build --network host --ulimit nofile=4096:4096 --ulimit nproc=4096:4096 \
  --build-arg NODE_IMAGE="$base" -f Containerfile -t "$tag" .
echo "build.sh: built $tag"
