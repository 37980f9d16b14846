#!/usr/bin/env bash
# Starts the image, and through its published ports asks the health service and solves a
# placement with examples/client.mjs; then stops it. Needs podman and runc (Debian packages) and
# the repository's node_modules for the client.
#   deploy/image/smoke.sh [TAG]          (default copt:0.1.0)
set -euo pipefail
cd "$(dirname "$0")/../.."
tag=${1:-copt:0.1.0}
port=${COPT_SMOKE_PORT:-50151}
health_port=$((port + 1))
name=copt-smoke-$$
# runc, explicit ulimits: what this machine's podman needs (its crun fails on hybrid cgroups)
podman --runtime runc run -d --rm --name "$name" --ulimit nofile=4096:4096 --ulimit nproc=4096:4096 \
  --read-only --tmpfs /tmp -p "127.0.0.1:$port:50051" -p "127.0.0.1:$health_port:50052" "$tag" \
  serve --address 0.0.0.0:50051 --health-address 0.0.0.0:50052 --workers 1 > /dev/null
trap 'podman --runtime runc stop -t 5 "$name" > /dev/null 2>&1 || true' EXIT
for _ in $(seq 1 50); do
  podman --runtime runc logs "$name" 2>/dev/null | grep -q 'serving copt.v1.Optimizer' && break
  sleep 0.2
done
podman --runtime runc logs "$name" | head -1
echo "user in the container: $(podman --runtime runc exec "$name" id -u)"
node examples/client.mjs "127.0.0.1:$port"
