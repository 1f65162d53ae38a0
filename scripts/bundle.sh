#!/usr/bin/env bash
# make bundle: dist/junheng-<version>-<platform>.tar.gz, one folder holding the committed tree
# (git archive HEAD), wheels/ with every wheel of the lock for this Python and platform, and
# BUNDLE-INFO (commit, lock, checksum of the lock).  Unpacked, `make run` installs from wheels/
# with no network.  Usage: bash scripts/bundle.sh [LOCK]  (default requirements-run.lock).
set -euo pipefail
cd "$(dirname "$0")/.."
lock=${1:-requirements-run.lock}
py=${PY:-python3}

version=$(sed -n 's/^version = "\(.*\)"$/\1/p' pyproject.toml | head -n1)
platform=$("$py" -c 'import sys, sysconfig
print(f"cp{sys.version_info[0]}{sys.version_info[1]}-" + sysconfig.get_platform().replace("-", "_").replace(".", "_"))')
name="junheng-$version-$platform"
# The bundle of another lock (the full one, with the dev tools) is told apart by its name.
case "$lock" in
    requirements-run.lock) ;;
    requirements.lock) name="$name-dev" ;;
    *) name="$name-$(basename "$lock" .lock)" ;;
esac
out="dist/$name.tar.gz"

git ls-files --error-unmatch "$lock" >/dev/null 2>&1 || { echo "$lock is not committed" >&2; exit 1; }
if ! git diff --quiet HEAD -- . 2>/dev/null; then
    echo "note: the bundle holds the last commit ($(git rev-parse --short HEAD)), not uncommitted changes" >&2
fi

stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
mkdir -p "$stage/$name/wheels" dist
{
    echo "commit $(git rev-parse HEAD)"
    echo "lock $lock"
    echo "lock-sha256 $(git show "HEAD:$lock" | sha256sum | cut -d' ' -f1)"
    echo "python $("$py" -c 'import platform; print(platform.python_version())')"
    echo "platform $platform"
} > "$stage/$name/BUNDLE-INFO"
git archive --format=tar HEAD | tar -x -C "$stage/$name"
# The lock carries hashes, so pip checks every wheel it downloads against them.
git show "HEAD:$lock" > "$stage/lock.txt"
"$py" -m pip download -q --disable-pip-version-check --only-binary=:all: --no-deps \
    -r "$stage/lock.txt" -d "$stage/$name/wheels"
# BUNDLE-INFO first, so that a reader finds it without unpacking the wheels.
tar -C "$stage" -czf "$out.part" "$name/BUNDLE-INFO" --exclude "$name/BUNDLE-INFO" "$name"
mv "$out.part" "$out"
echo "$out: $(du -h "$out" | cut -f1), $(ls "$stage/$name/wheels" | wc -l) wheels"
