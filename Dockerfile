# syntax=docker/dockerfile:1
# Build: the Swift toolchain image compiles a static-stdlib release binary.
FROM swift:6.3-bookworm AS build
WORKDIR /src
# Dependencies first, so source edits reuse this layer. Package.resolved is not committed; when a
# local one exists it pins the versions (the bracket makes the copy optional).
COPY Package.swift Package.resol[v]ed ./
RUN swift package resolve
# The manifest names the test targets' folders too: without Tests the package does not load.
COPY Sources ./Sources
COPY Tests ./Tests
COPY API-SPECIFICATION.yml ./
RUN swift build -c release --product skyhigh --static-swift-stdlib
# The binary and its resource bundles (API-SPECIFICATION.yml), side by side as Bundle.module expects.
RUN mkdir /out \
 && bin="$(swift build -c release --show-bin-path)" \
 && cp "$bin/skyhigh" /out/ \
 && cp -R "$bin"/*.resources /out/

# Run: a slim Debian with only what the binary needs, as an unprivileged user.
FROM debian:bookworm-slim
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends ca-certificates libcurl4 tzdata curl \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --uid 10001 --home-dir /app --create-home skyhigh
WORKDIR /app
COPY --from=build /out/ /app/
USER skyhigh
ENV SKYHIGH_HOST=0.0.0.0 SKYHIGH_PORT=8080 SKYHIGH_DATABASE_URL=sqlite:/app/data/skyhigh.sqlite
RUN mkdir -p /app/data
EXPOSE 8080
HEALTHCHECK --interval=10s --timeout=3s --start-period=20s --retries=3 \
  CMD curl -fsS http://127.0.0.1:8080/health/ready || exit 1
ENTRYPOINT ["/app/skyhigh"]
CMD ["serve"]
