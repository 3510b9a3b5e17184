#!/bin/sh
# Installs a prebuilt pgvet from the project's GitHub releases:
#
#   curl -fsSL https://github.com/pgvet/pgvet/releases/latest/download/install.sh | sh
#
# PGVET_VERSION      a version (0.2.0) or `latest` (default)
# PGVET_INSTALL_DIR  where pgvet goes (default ~/.local/bin)
# PGVET_REPO         owner/name of the repository whose releases to use (default pgvet/pgvet)
# PGVET_INSTALL_BASE_URL  the releases' base URL (default https://github.com/$PGVET_REPO/releases;
#                    any URL curl reads, file:// included, for a mirror)
# The archive's SHA-256 is checked against the .sha256 published beside it.
set -eu

repo="${PGVET_REPO:-pgvet/pgvet}"
version="${PGVET_VERSION:-latest}"
base="${PGVET_INSTALL_BASE_URL:-https://github.com/$repo/releases}"
dir="${PGVET_INSTALL_DIR:-$HOME/.local/bin}"

say() { printf 'pgvet install: %s\n' "$*" >&2; }
fail() { say "$*"; exit 1; }

os="$(uname -s)"
arch="$(uname -m)"
case "$arch" in
  x86_64 | amd64) arch=x86_64 ;;
  aarch64 | arm64) arch=aarch64 ;;
  *) fail "no prebuilt pgvet for $arch: build it with \`cargo install --locked --git https://github.com/$repo pgvet\`" ;;
esac
case "$os" in
  Linux)
    # glibc when the system has it, else the static musl build (Alpine).
    target="$arch-unknown-linux-gnu"
    if ldd --version 2>&1 | grep -qi musl; then
      target="$arch-unknown-linux-musl"
    elif [ ! -e /lib64/ld-linux-x86-64.so.2 ] && [ ! -e /lib/ld-linux-aarch64.so.1 ]; then
      target="$arch-unknown-linux-musl"
    fi
    ;;
  Darwin) target="$arch-apple-darwin" ;;
  *) fail "no prebuilt pgvet for $os: download it from $base or build it with cargo" ;;
esac
[ -n "${PGVET_TARGET:-}" ] && target="$PGVET_TARGET"

archive="pgvet-$target.tar.gz"
case "$version" in
  latest) url="$base/latest/download/$archive" ;;
  v*) url="$base/download/$version/$archive" ;;
  *) url="$base/download/v$version/$archive" ;;
esac

fetch() {
  if command -v curl >/dev/null 2>&1; then
    curl -fsSL --retry 3 -o "$2" "$1"
  elif command -v wget >/dev/null 2>&1; then
    wget -q -O "$2" "$1"
  else
    fail "needs curl or wget"
  fi
}

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
say "downloading $url"
fetch "$url" "$tmp/$archive" || fail "cannot download $url (is there a release for $target?)"
fetch "$url.sha256" "$tmp/$archive.sha256" || fail "cannot download $url.sha256"
want="$(cut -d' ' -f1 < "$tmp/$archive.sha256")"
if command -v sha256sum >/dev/null 2>&1; then
  got="$(sha256sum "$tmp/$archive" | cut -d' ' -f1)"
else
  got="$(shasum -a 256 "$tmp/$archive" | cut -d' ' -f1)"
fi
[ "$want" = "$got" ] || fail "checksum mismatch for $archive: expected $want, got $got"
tar -xzf "$tmp/$archive" -C "$tmp"
mkdir -p "$dir"
cp "$tmp/pgvet-$target/pgvet" "$dir/pgvet"
chmod 755 "$dir/pgvet"
say "installed $("$dir/pgvet" --version) in $dir"
case ":$PATH:" in
  *":$dir:"*) ;;
  *) say "add $dir to your PATH" ;;
esac
