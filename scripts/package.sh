#!/usr/bin/env bash
# Builds pgvet for a target and packs it for a release: dist/pgvet-<target>.tar.gz (a .zip for
# Windows) holding pgvet-<target>/pgvet, README.md and LICENSE, and a .sha256 beside it. The
# layout is what scripts/install.sh, the GitHub Action and `cargo binstall` (Cargo.toml's
# [package.metadata.binstall]) download.
#
#   scripts/package.sh [TARGET]      TARGET defaults to this machine's (rustc -vV's host)
#   PGVET_PROFILE=dev scripts/package.sh   a dry run that packs the debug build (no release build)
#   PGVET_DIST=out/ ...              where the archives go (default dist/)
set -euo pipefail
cd "$(dirname "$0")/.."

host="$(rustc -vV | sed -n 's/^host: //p')"
target="${1:-$host}"
profile="${PGVET_PROFILE:-release}"
dist="${PGVET_DIST:-dist}"
target_dir="${CARGO_TARGET_DIR:-target}"

args=(build --locked --bin pgvet --profile "$profile")
out_dir="$target_dir"
# The host's build lives in target/<profile> (no --target: the debug build tests use is reused).
if [ "$target" != "$host" ]; then
  args+=(--target "$target")
  out_dir="$target_dir/$target"
fi
case "$profile" in
  dev | test) out_dir="$out_dir/debug" ;;
  *) out_dir="$out_dir/$profile" ;;
esac
cargo "${args[@]}"

exe=""
case "$target" in *windows*) exe=".exe" ;; esac
name="pgvet-$target"
stage="$(mktemp -d)"
trap 'rm -rf "$stage"' EXIT
mkdir -p "$stage/$name" "$dist"
cp "$out_dir/pgvet$exe" "$stage/$name/"
cp README.md "$stage/$name/"
[ -f LICENSE ] && cp LICENSE "$stage/$name/"

case "$target" in
  *windows*)
    archive="$name.zip"
    (cd "$stage" && 7z a -tzip -bd "$archive" "$name" >/dev/null)
    ;;
  *)
    archive="$name.tar.gz"
    tar -C "$stage" -czf "$stage/$archive" "$name"
    ;;
esac
mv "$stage/$archive" "$dist/"
if command -v sha256sum >/dev/null; then
  (cd "$dist" && sha256sum "$archive" > "$archive.sha256")
else
  (cd "$dist" && shasum -a 256 "$archive" > "$archive.sha256")
fi
echo "$dist/$archive"
