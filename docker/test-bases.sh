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
#   nginx:stable-bookworm     that root plus Debian's nginx, run as the official image runs
# Needs root (debootstrap), Debian's package archive, and a Rust toolchain on this machine.
# Every stand-in carries the label textanalysis.test-base=true.
set -euo pipefail
cd "$(dirname "$0")/.."

log() { printf 'test-bases: %s\n' "$*" >&2; }

# The names come from the files that use them, so the two cannot drift apart.
arg_default() { sed -n "s/^ARG $1=//p" docker/Dockerfile | head -n 1; }
RUNTIME_IMAGE=$(arg_default RUNTIME_IMAGE)
RUST_IMAGE=$(arg_default RUST_IMAGE)
NGINX_IMAGE=$(sed -n 's/.*\${NGINX_IMAGE:-\([^}]*\)}.*/\1/p' docker/compose.yaml | head -n 1)
: "${RUNTIME_IMAGE:?no ARG RUNTIME_IMAGE in docker/Dockerfile}"
: "${RUST_IMAGE:?no ARG RUST_IMAGE in docker/Dockerfile}"
: "${NGINX_IMAGE:?no NGINX_IMAGE default in docker/compose.yaml}"
SUITE=${DEBIAN_SUITE:-bookworm}
MIRROR=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
WORK=${TEST_BASES_DIR:-target/docker-bases}
LABEL=textanalysis.test-base=true

# An image is there already, or a registry has it (then nothing needs making).
have_image() {
  docker image inspect "$1" >/dev/null 2>&1 && return 0
  docker pull --quiet "$1" >/dev/null 2>&1
}

# A temporary build context, removed on exit.
mkdir -p "$WORK"
context=$(mktemp -d "$WORK/context.XXXXXX")
trap 'rm -rf "$context"' EXIT

make_runtime_base() {
  if have_image "$RUNTIME_IMAGE"; then
    log "$RUNTIME_IMAGE exists"
    return
  fi
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
  if have_image "$RUST_IMAGE"; then
    log "$RUST_IMAGE exists"
    return
  fi
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
  docker build --quiet -t "$RUST_IMAGE" "$context" >/dev/null
  rm -rf "${context:?}"/*
}

make_nginx_base() {
  if have_image "$NGINX_IMAGE"; then
    log "$NGINX_IMAGE exists"
    return
  fi
  log "building $NGINX_IMAGE from $RUNTIME_IMAGE and Debian's nginx"
  cat >"$context/Dockerfile" <<EOF
FROM $RUNTIME_IMAGE
RUN apt-get update -qq \\
    && apt-get install -y -qq --no-install-recommends nginx >/dev/null \\
    && rm -rf /var/lib/apt/lists/* \\
    && useradd --system --no-create-home --shell /usr/sbin/nologin nginx
EXPOSE 80
STOPSIGNAL SIGQUIT
CMD ["nginx", "-g", "daemon off;"]
LABEL $LABEL
EOF
  docker build --quiet -t "$NGINX_IMAGE" "$context" >/dev/null
  rm -rf "${context:?}"/*
}

docker info >/dev/null 2>&1 || {
  log "no Docker engine answers"
  exit 1
}
make_runtime_base
make_rust_base
make_nginx_base
log "ready: $RUNTIME_IMAGE, $RUST_IMAGE, $NGINX_IMAGE"
