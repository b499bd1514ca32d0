# Multi-stage build: dependencies are compiled in their own cached layer,
# the runtime image holds only the two binaries and runs as a non-root user.
FROM rust:1.95-bookworm AS build
WORKDIR /src
COPY Cargo.toml Cargo.lock ./
COPY crates/common/Cargo.toml crates/common/
COPY crates/ingest/Cargo.toml crates/ingest/
COPY crates/search-svc/Cargo.toml crates/search-svc/
RUN for crate in common ingest search-svc; do mkdir -p crates/$crate/src && echo 'fn main() {}' > crates/$crate/src/main.rs && touch crates/$crate/src/lib.rs; done \
 && cargo fetch --locked
COPY . .
RUN cargo build --release --locked --bins

FROM debian:bookworm-slim
RUN apt-get update && apt-get install -y --no-install-recommends ca-certificates && rm -rf /var/lib/apt/lists/* \
 && useradd --system --create-home --home-dir /var/lib/baokan baokan
COPY --from=build /src/target/release/baokan-ingest /src/target/release/baokan-search /usr/local/bin/
USER baokan
WORKDIR /var/lib/baokan
EXPOSE 50051
CMD ["baokan-search"]
