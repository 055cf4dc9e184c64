# The cassandra-users server as a container image.
#
#   docker build -t cassandra-users .                        # from source: runs `make dist` inside
#   docker build --build-arg PACKAGE=from-package -t cassandra-users .
#                                                            # from dist/*.tar.gz made by `make dist`
#
# The runtime image is slim Debian, runs as a non-root user, listens on 0.0.0.0:3000 and checks
# its own /healthz. Settings come from the environment (README, "Configuration").

ARG PACKAGE=from-source

# --- from source: the same `make dist` a developer runs -------------------------------------
FROM docker.io/library/debian:bookworm-slim AS from-source
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates curl build-essential pkg-config \
        libssl-dev git make python3 openjdk-17-jre-headless nodejs npm \
 && rm -rf /var/lib/apt/lists/*
ENV RUSTUP_HOME=/usr/local/rustup CARGO_HOME=/usr/local/cargo PATH=/usr/local/cargo/bin:$PATH
RUN curl -sSf https://sh.rustup.rs | sh -s -- -y --profile minimal --default-toolchain stable
WORKDIR /src
COPY . .
RUN make dist && mkdir /package && tar -xzf dist/cassandra-users-*-x86_64-linux.tar.gz -C /package --strip-components=1

# --- from a package `make dist` already made (the tests build the image this way) ------------
FROM docker.io/library/debian:bookworm-slim AS from-package
COPY dist/ /dist/
RUN mkdir /package && tar -xzf /dist/cassandra-users-*-x86_64-linux.tar.gz -C /package --strip-components=1

FROM ${PACKAGE} AS package

# --- the runtime image ------------------------------------------------------------------------
FROM docker.io/library/debian:bookworm-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates libssl3 curl \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --uid 10001 --no-create-home --shell /usr/sbin/nologin cassandra-users
COPY --from=package /package/cassandra-users /package/hash.txt /opt/cassandra-users/
COPY --from=package /package/site /opt/cassandra-users/site
ENV LEPTOS_SITE_ADDR=0.0.0.0:3000 \
    CASSANDRA_CONTACT_POINTS=cassandra:9042 \
    PATH=/opt/cassandra-users:$PATH
USER cassandra-users
WORKDIR /opt/cassandra-users
EXPOSE 3000
# Healthy once the server answers and Cassandra with it (/healthz is 503 until then).
HEALTHCHECK --interval=10s --timeout=3s --start-period=20s --retries=3 \
    CMD curl -fsS -o /dev/null "http://127.0.0.1:${LEPTOS_SITE_ADDR##*:}/healthz" || exit 1
ENTRYPOINT ["/opt/cassandra-users/cassandra-users"]
CMD ["serve"]
