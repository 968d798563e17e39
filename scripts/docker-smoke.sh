#!/usr/bin/env bash
# docker-smoke.sh [IMAGE_TAG]: builds the image from the Dockerfile and smoke-tests it:
# the container becomes healthy (its HEALTHCHECK), runs as a non-root user, warns about its
# 0.0.0.0 bind, and the suite from the same image passes against it (--strict, through the
# container's network namespace). Removes the container afterwards; the image stays.
#
# Needs a running Docker daemon that can pull debian:bookworm-slim (or DEBIAN_IMAGE, a
# build argument). Without one it prints "SKIP: ..." and exits 77.
set -uo pipefail
cd "$(dirname "$0")/.."
tag=${1:-bloonio-relay-conformance:smoke}
if ! command -v docker >/dev/null 2>&1; then
	echo "SKIP: no docker command on this machine"
	exit 77
fi
if ! err=$(docker info 2>&1 >/dev/null); then
	echo "SKIP: no Docker daemon answers here ($(echo "$err" | tail -n 1))"
	exit 77
fi
base=${DEBIAN_IMAGE:-debian:bookworm-slim}
if ! docker image inspect "$base" >/dev/null 2>&1 && ! docker pull -q "$base" >/dev/null 2>&1; then
	echo "SKIP: the base image $base is neither present nor pullable here"
	exit 77
fi

fail=0
bad() { echo "docker-smoke: FAIL: $*"; fail=1; }
name=bloonio-smoke-$$
key=smoke-admin-key
trap 'docker rm -f "$name" >/dev/null 2>&1' EXIT

echo "==> docker build -t $tag ."
docker build --build-arg DEBIAN_IMAGE="$base" -t "$tag" . || { echo "docker-smoke: build failed"; exit 1; }
docker run -d --name "$name" -e MOCK_RELAY_ADMIN_KEY=$key "$tag" >/dev/null || { echo "docker-smoke: run failed"; exit 1; }
status=
for _ in $(seq 60); do
	status=$(docker inspect -f '{{.State.Health.Status}}' "$name" 2>/dev/null)
	[ "$status" = healthy ] && break
	sleep 1
done
[ "$status" = healthy ] || bad "the container is '$status', not healthy, after 60 s"
user=$(docker exec "$name" id -u)
[ "$user" != 0 ] || bad "the container runs as root"
docker logs "$name" 2>&1 | grep -q 'warning: listening on 0.0.0.0, not a loopback address' ||
	bad "no start-up warning about the 0.0.0.0 bind"
if docker run --rm --network "container:$name" "$tag" relay-conformance --base-url http://127.0.0.1:7811 \
	--admin-key $key --strict --quiet --no-color >suite.out 2>&1; then
	echo "suite in the image against the image's mock: $(tail -n 1 suite.out)"
else
	tail -n 30 suite.out
	bad "the suite in the image failed against the container"
fi
rm -f suite.out
[ "$fail" -eq 0 ] && echo "docker-smoke: $tag builds, turns healthy as uid $user and passes the suite"
exit $fail
