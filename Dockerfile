# rollsim as a small static image, for sweeps run as a Kubernetes Indexed Job
# (deploy/sweep-job.yaml; README, "Sweeps on a cluster").
#
#   docker build -t rollsim .
#   docker run --rm -v "$PWD/output:/results" rollsim \
#     sweep /scenarios/sweeps/surge-vs-unavailable.yaml --out /results
#
# Every crate rollsim uses is pure Rust, so the musl target links a fully static binary
# without a C toolchain for musl.
FROM rust:1.88-bookworm AS build
RUN rustup target add x86_64-unknown-linux-musl
WORKDIR /src
COPY Cargo.toml Cargo.lock ./
COPY src src
COPY assets assets
COPY scenarios scenarios
RUN cargo build --release --locked --target x86_64-unknown-linux-musl \
 && strip target/x86_64-unknown-linux-musl/release/rollsim

# Nothing but the binary and the shipped scenarios and sweeps.
FROM scratch
COPY --from=build /src/target/x86_64-unknown-linux-musl/release/rollsim /rollsim
COPY --from=build /src/scenarios /scenarios
USER 65532:65532
ENTRYPOINT ["/rollsim"]
