#!/usr/bin/env bash
# Builds the ResFIM OCI image without a Docker daemon: target/resfim-image.tar (docker-archive format; load it with
# `podman load -i` or `docker load -i`). Reaches only Debian's package archive (for the base) and Maven Central (for
# Jib), so it works where no container registry can be reached.
#
#   1. the base: Debian bookworm with OpenJDK 17 (headless JRE) from Debian's packages, made by mmdebstrap from
#      this machine's apt sources (or the deb822 .sources file in RESFIM_DEBIAN_SOURCES), wrapped as a one-layer
#      docker-archive, target/resfim-base.tar (kept: delete it to rebuild the base);
#   2. the image: Jib (Maven profile `image`) puts ResFIM's classes and jars, the PyTorch native jar included, on
#      that base, with the offline flags set, and writes target/resfim-image.tar.
#
# Needs root (mmdebstrap chroots into the new tree) and `apt-get install mmdebstrap`.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
base="$here/target/resfim-base.tar"
sources="${RESFIM_DEBIAN_SOURCES:-/etc/apt/sources.list.d/debian.sources}"
if [[ ! -f "$base" ]]; then
  command -v mmdebstrap >/dev/null || { echo "build-image: needs mmdebstrap (apt-get install mmdebstrap)" >&2; exit 1; }
  [[ -f "$sources" ]] || { echo "build-image: no apt sources at $sources (set RESFIM_DEBIAN_SOURCES to a deb822 .sources file)" >&2; exit 1; }
  work="$(mktemp -d)"
  trap 'rm -rf "$work"' EXIT
  mkdir -p "$here/target"
  # essential packages + the JRE; no documentation or translations (manual pages stay: the JRE's alternatives link them)
  mmdebstrap --variant=essential --include=openjdk-17-jre-headless \
    --dpkgopt='path-exclude=/usr/share/doc/*' --dpkgopt='path-exclude=/usr/share/locale/*' \
    bookworm "$work/layer.tar" "$sources"
  diff_id="$(sha256sum "$work/layer.tar" | cut -d' ' -f1)"
  mkdir "$work/$diff_id"
  mv "$work/layer.tar" "$work/$diff_id/layer.tar"
  cat > "$work/config.json" <<JSON
{"architecture":"amd64","os":"linux","created":"$(date -u +%Y-%m-%dT%H:%M:%SZ)",
 "config":{"Env":["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin","LANG=C.UTF-8"]},
 "rootfs":{"type":"layers","diff_ids":["sha256:$diff_id"]},
 "history":[{"created_by":"mmdebstrap --variant=essential --include=openjdk-17-jre-headless bookworm"}]}
JSON
  config_id="$(sha256sum "$work/config.json" | cut -d' ' -f1)"
  mv "$work/config.json" "$work/$config_id.json"
  printf '[{"Config":"%s.json","RepoTags":["resfim-base:bookworm"],"Layers":["%s/layer.tar"]}]\n' "$config_id" "$diff_id" > "$work/manifest.json"
  tar -C "$work" -cf "$base.partial" manifest.json "$config_id.json" "$diff_id/layer.tar"
  mv "$base.partial" "$base"
  echo "build-image: base $base ($(du -h "$base" | cut -f1))" >&2
fi
cd "$here"
mvn -B -q -Pimage -DskipTests package
echo "build-image: $here/target/resfim-image.tar ($(du -h target/resfim-image.tar | cut -f1)); load it with 'podman load -i target/resfim-image.tar'" >&2
