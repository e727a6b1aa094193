#!/usr/bin/env bash
# Runs one libFuzzer harness for a bounded time (the ctest test fuzz.<name>):
#   run-fuzz.sh HARNESS BUILD_DIR SOURCE_DIR SECONDS
# The working corpus is BUILD_DIR/corpus/<name>/ (new inputs land there; it persists
# between runs of the same build directory), the committed seeds SOURCE_DIR/corpus/<name>/
# are read too when they exist, and SOURCE_DIR/<name>.dict is used when present. A crash,
# leak, sanitizer report or timeout leaves its input in BUILD_DIR/artifacts/ and fails.
set -euo pipefail

harness=$1 build=$2 src=$3 seconds=$4
name=$(basename "$harness")
work=$build/corpus/$name
mkdir -p "$work" "$build/artifacts"

args=(-max_total_time="$seconds" -timeout=25 -rss_limit_mb=2048 -print_final_stats=1
      -artifact_prefix="$build/artifacts/$name-")
[ -f "$src/$name.dict" ] && args+=(-dict="$src/$name.dict")
corpora=("$work")
[ -d "$src/corpus/$name" ] && corpora+=("$src/corpus/$name")

echo "run-fuzz: $harness ${args[*]} ${corpora[*]}"
exec "$harness" "${args[@]}" "${corpora[@]}"
