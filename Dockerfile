# syntax=docker/dockerfile:1
# The mock relay and the conformance suite in one image (README "Install").
#
#   docker build -t bloonio-relay-conformance .
#   docker run -d --name relay -p 127.0.0.1:7811:7811 -e MOCK_RELAY_ADMIN_KEY=dev-admin-key bloonio-relay-conformance
#   docker run --rm --network container:relay bloonio-relay-conformance \
#       relay-conformance --base-url http://127.0.0.1:7811 --admin-key dev-admin-key --strict
#
# Stage 1 builds with the project's own steps: scripts/setup.sh (the Debian packages), the
# CMake build, then scripts/package-deb.sh's packaging step (cpack -G DEB). Stage 2 installs
# that .deb with apt-get, which pulls exactly the runtime libraries its Depends name.
# scripts/docker-smoke.sh builds and smoke-tests the image where a Docker daemon runs;
# scripts/check_container.sh checks this file's CMD, USER and HEALTHCHECK without Docker.

ARG DEBIAN_IMAGE=debian:bookworm-slim

FROM ${DEBIAN_IMAGE} AS build
WORKDIR /src
COPY . .
RUN scripts/setup.sh \
 && cmake -S . -B /build -DCMAKE_BUILD_TYPE=RelWithDebInfo \
 && cmake --build /build -j"$(nproc)" \
 && (cd /build && cpack -G DEB) \
 && cp /build/packages/bloonio-relay-conformance_*.deb /bloonio-relay-conformance.deb

FROM ${DEBIAN_IMAGE}
COPY --from=build /bloonio-relay-conformance.deb /tmp/
RUN apt-get update -qq \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
      /tmp/bloonio-relay-conformance.deb curl ca-certificates \
 && rm -rf /var/lib/apt/lists/* /tmp/bloonio-relay-conformance.deb \
 && useradd --system --uid 10001 --user-group --no-create-home --shell /usr/sbin/nologin relay
USER relay:relay
EXPOSE 7811
# Inside the container the mock listens on every interface (that is what -p publishes);
# it says so on stderr at start-up (SPEC.md §1.1.5). The admin key comes from
# MOCK_RELAY_ADMIN_KEY, else one is generated and printed once.
CMD ["mock-relay", "--bind", "0.0.0.0", "--port", "7811"]
# Healthy when the control plane answers: an unauthenticated GET /__mock/clock gets the
# mock's 401 envelope (never journaled, SPEC.md §10.3.1), so no key is needed here.
HEALTHCHECK --interval=10s --timeout=3s --start-period=5s --retries=3 \
  CMD curl -s -o /dev/null -w '%{http_code}' http://127.0.0.1:7811/__mock/clock | grep -qx 401
