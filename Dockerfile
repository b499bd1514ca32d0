# Multi-stage build. cargo-chef compiles the dependencies in their own layer
# (rebuilt only when Cargo.toml/Cargo.lock change); the runtime image holds
# only the two binaries and runs as an unprivileged user.
FROM rust:1.95-bookworm AS chef
RUN cargo install cargo-chef --locked --version 0.1.78
WORKDIR /src

FROM chef AS planner
COPY . .
RUN cargo chef prepare --recipe-path recipe.json

FROM chef AS build
COPY --from=planner /src/recipe.json recipe.json
RUN cargo chef cook --release --locked --recipe-path recipe.json
COPY . .
RUN cargo build --release --locked --bin baokan-ingest --bin baokan-search

FROM debian:bookworm-slim AS runtime
# ca-certificates only: for TLS to PostgreSQL. Versions follow the base image.
# hadolint ignore=DL3008
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates \
 && rm -rf /var/lib/apt/lists/* \
 && groupadd --system --gid 10001 baokan \
 && useradd --system --uid 10001 --gid 10001 --create-home --home-dir /var/lib/baokan baokan \
 && mkdir -p /inbox /var/lib/baokan/index \
 && chown baokan:baokan /inbox /var/lib/baokan/index
COPY --from=build /src/target/release/baokan-ingest /src/target/release/baokan-search /usr/local/bin/
USER 10001:10001
WORKDIR /var/lib/baokan
ENV BAOKAN_INDEX_DIR=/var/lib/baokan/index \
    BAOKAN_LISTEN=0.0.0.0:50051 \
    BAOKAN_METRICS_LISTEN=0.0.0.0:9090 \
    BAOKAN_INGEST_METRICS_LISTEN=0.0.0.0:9091
EXPOSE 50051 9090 9091
CMD ["baokan-search"]
