#!/usr/bin/env bash
# Makes local stand-ins for the base images that docker/Dockerfile and docker/compose.yaml name,
# for machines whose Docker engine cannot pull from a registry (this project's CI among them).
# Anywhere a registry answers, you do not need this: `docker build` pulls the real images.
#
#   bash docker/test-bases.sh
#
# Each image is made only if no image of that name exists and none can be pulled, under the
# very name the Dockerfile and compose file use, so the user's commands run unchanged:
#   debian:bookworm-slim      a minimal Debian root made by debootstrap, imported
#   rust:<ver>-slim-bookworm  that root plus gcc and this machine's Rust toolchain
#   haproxy:2.6-bookworm      that root plus Debian's HAProxy 2.6, run as the official image runs
#   prom/prometheus:v2.42.0   that root plus Debian's Prometheus 2.42, run as the official image runs
# Needs root (debootstrap), Debian's package archive, and a Rust toolchain on this machine.
# Every stand-in carries the label textanalysis.test-base=true.
set -euo pipefail
cd "$(dirname "$0")/.."

log() { printf 'test-bases: %s\n' "$*" >&2; }

# The names come from the files that use them, so the two cannot drift apart.
arg_default() { sed -n "s/^ARG $1=//p" docker/Dockerfile | head -n 1; }
RUNTIME_IMAGE=$(arg_default RUNTIME_IMAGE)
RUST_IMAGE=$(arg_default RUST_IMAGE)
compose_default() { sed -n "s/.*\${$1:-\([^}]*\)}.*/\1/p" docker/compose.yaml | head -n 1; }
HAPROXY_IMAGE=$(compose_default HAPROXY_IMAGE)
PROMETHEUS_IMAGE=$(compose_default PROMETHEUS_IMAGE)
: "${RUNTIME_IMAGE:?no ARG RUNTIME_IMAGE in docker/Dockerfile}"
: "${RUST_IMAGE:?no ARG RUST_IMAGE in docker/Dockerfile}"
: "${HAPROXY_IMAGE:?no HAPROXY_IMAGE default in docker/compose.yaml}"
: "${PROMETHEUS_IMAGE:?no PROMETHEUS_IMAGE default in docker/compose.yaml}"
SUITE=${DEBIAN_SUITE:-bookworm}
MIRROR=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
WORK=${TEST_BASES_DIR:-target/docker-bases}
LABEL=textanalysis.test-base=true

# An image is there already, or a registry has it (then nothing needs making).
have_image() {
  docker image inspect "$1" >/dev/null 2>&1 && return 0
  docker pull --quiet "$1" >/dev/null 2>&1
}

# Whether an image is there already (said so in the log).
present() {
  have_image "$1" || return 1
  log "$1 exists"
}

# A temporary build context, removed on exit.
mkdir -p "$WORK"
context=$(mktemp -d "$WORK/context.XXXXXX")
trap 'rm -rf "$context"' EXIT

# Builds the image $1 from the context made in $context, then empties it for the next one.
build_context() {
  docker build --quiet -t "$1" "$context" >/dev/null
  rm -rf "${context:?}"/*
}

make_runtime_base() {
  present "$RUNTIME_IMAGE" && return
  local tarball="$WORK/$SUITE-minbase.tar"
  if [ ! -s "$tarball" ]; then
    command -v debootstrap >/dev/null || {
      log "installing debootstrap"
      apt-get install -y -qq debootstrap >/dev/null
    }
    local root="$WORK/$SUITE-root"
    rm -rf "$root"
    log "debootstrap $SUITE (minbase) from $MIRROR"
    debootstrap --variant=minbase "$SUITE" "$root" "$MIRROR" >"$WORK/debootstrap.log" 2>&1 || {
      tail -n 20 "$WORK/debootstrap.log" >&2
      exit 1
    }
    # What the official slim image leaves out too: package caches, lists, documentation.
    rm -rf "$root"/var/cache/apt/archives/*.deb "$root"/var/lib/apt/lists/* \
      "$root"/usr/share/doc/* "$root"/usr/share/man/* "$root"/usr/share/info/*
    tar -C "$root" -cf "$tarball.tmp" . && mv "$tarball.tmp" "$tarball"
    rm -rf "$root"
  fi
  log "importing $RUNTIME_IMAGE"
  docker import --change 'CMD ["bash"]' --change "LABEL $LABEL" "$tarball" "$RUNTIME_IMAGE" >/dev/null
}

make_rust_base() {
  present "$RUST_IMAGE" && return
  local sysroot want have
  sysroot=$(rustc --print sysroot)
  want=$(printf '%s' "$RUST_IMAGE" | sed -n 's/^rust:\([0-9.]*\).*/\1/p')
  have=$(rustc --version | awk '{print $2}')
  case "$have" in
    "$want" | "$want".*) ;;
    *) log "warning: $RUST_IMAGE will hold this machine's Rust $have" ;;
  esac
  log "building $RUST_IMAGE from $RUNTIME_IMAGE and the toolchain in $sysroot"
  mkdir -p "$context/rust/bin" "$context/ca"
  # cargo, rustc and their libraries (no docs): hard links where the filesystem allows.
  cp -al "$sysroot/bin/cargo" "$sysroot/bin/rustc" "$context/rust/bin/" 2>/dev/null ||
    cp -a "$sysroot/bin/cargo" "$sysroot/bin/rustc" "$context/rust/bin/"
  cp -al "$sysroot/lib" "$context/rust/" 2>/dev/null || cp -a "$sysroot/lib" "$context/rust/"
  # Certificate authorities this machine trusts beyond Debian's (an egress proxy's, say), so
  # cargo inside the build reaches crates.io as it does here.
  find /usr/local/share/ca-certificates -name '*.crt' -exec cp {} "$context/ca/" \; 2>/dev/null || true
  cat >"$context/Dockerfile" <<EOF
FROM $RUNTIME_IMAGE
RUN apt-get update -qq \\
    && apt-get install -y -qq --no-install-recommends gcc libc6-dev ca-certificates >/dev/null \\
    && rm -rf /var/lib/apt/lists/*
COPY ca/ /usr/local/share/ca-certificates/
RUN update-ca-certificates >/dev/null
COPY rust/ /usr/local/rust/
RUN mkdir -p /usr/local/cargo/bin \\
    && ln -s /usr/local/rust/bin/cargo /usr/local/rust/bin/rustc /usr/local/cargo/bin/
ENV CARGO_HOME=/usr/local/cargo PATH=/usr/local/cargo/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
LABEL $LABEL
EOF
  build_context "$RUST_IMAGE"
}

make_haproxy_base() {
  present "$HAPROXY_IMAGE" && return
  log "building $HAPROXY_IMAGE from $RUNTIME_IMAGE and Debian's haproxy"
  # The official image's entrypoint: arguments starting with `-` are HAProxy's, and HAProxy
  # runs in the foreground in master-worker mode.
  cat >"$context/docker-entrypoint.sh" <<'EOF'
#!/bin/sh
set -e
if [ "${1#-}" != "$1" ]; then
  set -- haproxy "$@"
fi
if [ "$1" = haproxy ]; then
  shift
  set -- haproxy -W -db "$@"
fi
exec "$@"
EOF
  chmod 0755 "$context/docker-entrypoint.sh"
  cat >"$context/Dockerfile" <<EOF
FROM $RUNTIME_IMAGE
RUN apt-get update -qq \\
    && apt-get install -y -qq --no-install-recommends haproxy >/dev/null \\
    && rm -rf /var/lib/apt/lists/* \\
    && mkdir -p /usr/local/etc/haproxy /var/lib/haproxy \\
    && chown haproxy:haproxy /var/lib/haproxy
COPY docker-entrypoint.sh /usr/local/bin/
USER haproxy
WORKDIR /var/lib/haproxy
STOPSIGNAL SIGUSR1
ENTRYPOINT ["docker-entrypoint.sh"]
CMD ["haproxy", "-f", "/usr/local/etc/haproxy/haproxy.cfg"]
LABEL $LABEL
EOF
  build_context "$HAPROXY_IMAGE"
}

make_prometheus_base() {
  present "$PROMETHEUS_IMAGE" && return
  log "building $PROMETHEUS_IMAGE from $RUNTIME_IMAGE and Debian's prometheus"
  cat >"$context/Dockerfile" <<EOF
FROM $RUNTIME_IMAGE
RUN apt-get update -qq \\
    && apt-get install -y -qq --no-install-recommends prometheus >/dev/null \\
    && rm -rf /var/lib/apt/lists/* \\
    && install -d -o nobody -g nogroup /prometheus
USER nobody
WORKDIR /prometheus
EXPOSE 9090
ENTRYPOINT ["/usr/bin/prometheus"]
CMD ["--config.file=/etc/prometheus/prometheus.yml", "--storage.tsdb.path=/prometheus"]
LABEL $LABEL
EOF
  build_context "$PROMETHEUS_IMAGE"
}

docker info >/dev/null 2>&1 || {
  log "no Docker engine answers"
  exit 1
}
make_runtime_base
make_rust_base
make_haproxy_base
make_prometheus_base
log "ready: $RUNTIME_IMAGE, $RUST_IMAGE, $HAPROXY_IMAGE, $PROMETHEUS_IMAGE"
