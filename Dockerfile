# spdyn: dnsd and control in one small runtime image.
#
#   docker build -t spdyn .
#   docker run --rm spdyn dnsd --help
#
# Build stage: the whole workspace, release profile, locked dependencies.
FROM rust:1.95-bookworm AS build
WORKDIR /src
COPY . .
RUN cargo build --release --locked -p dnsd -p control \
 && install -D -m 0755 target/release/dnsd /out/dnsd \
 && install -D -m 0755 target/release/control /out/control

# Runtime stage: Debian slim with CA certificates (SMTP/Postgres over TLS) and
# the PostgreSQL server binaries, so `control` can run its private cluster
# when no database URL is configured (set CONTROL__DATABASE__URL to use an
# external one instead).
FROM debian:bookworm-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates postgresql-15 \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --create-home --home-dir /var/lib/spdyn --shell /usr/sbin/nologin spdyn
ENV PATH="/usr/lib/postgresql/15/bin:${PATH}"
COPY --from=build /out/dnsd /out/control /usr/local/bin/
COPY config /etc/spdyn/examples
USER spdyn
WORKDIR /var/lib/spdyn
# DNS (UDP+TCP), dyndns2 updates (HTTP/HTTPS), portal, metrics.
EXPOSE 53/udp 53/tcp 80 443 8080 9153
CMD ["dnsd", "--config", "/etc/spdyn/dnsd.toml", "run"]
