#!/usr/bin/env bash
# Builds and runs every libFuzzer target under Fuzz/ (each Fuzz/*Fuzz/ folder) for SECONDS seconds.
#
# Usage: Fuzz/run.sh SECONDS
#
# Each target is built in release mode with the fuzzer and address sanitizers in .build-fuzz (without dead
# stripping: the linker's --gc-sections drops the coverage counters and libFuzzer would fuzz blind), then run on a
# temporary copy of its seed corpus Fuzz/corpus/NAME (new corpus entries are not written into the repo).
# Crash, timeout and out-of-memory inputs are saved under a temporary artifacts directory, printed at the end.
# Exits non-zero if any target fails to build or finds a crash. Works from any directory.
set -euo pipefail

seconds="${1:-}"
if ! [[ "$seconds" =~ ^[0-9]+$ ]]; then
    echo "usage: $0 SECONDS" >&2
    exit 2
fi

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
artifacts="$(mktemp -d "${TMPDIR:-/tmp}/random-chat-fuzz-artifacts.XXXXXX")"
work="$(mktemp -d "${TMPDIR:-/tmp}/random-chat-fuzz-corpus.XXXXXX")"
trap 'rm -rf "$work"' EXIT

# The Swift runtime's backtracer and ASan interfere; libFuzzer prints its own stack.
export SWIFT_BACKTRACE=enable=no

status=0
found=0
for dir in "$root"/Fuzz/*Fuzz/; do
    [[ -d "$dir" ]] || continue
    name="$(basename "$dir")"
    found=$((found + 1))
    echo "== $name: building"
    if ! (cd "$root" && CHAT_PROTOCOL_ONLY=1 CHAT_FUZZ=1 swift build -c release \
        --sanitize fuzzer --sanitize address --disable-dead-strip --product "$name" --scratch-path .build-fuzz); then
        echo "== $name: BUILD FAILED" >&2
        status=1
        continue
    fi
    binary="$(cd "$root" && CHAT_PROTOCOL_ONLY=1 CHAT_FUZZ=1 swift build -c release \
        --sanitize fuzzer --sanitize address --disable-dead-strip --scratch-path .build-fuzz --show-bin-path)/$name"

    corpus="$work/$name"
    mkdir -p "$corpus" "$artifacts/$name"
    if [[ -d "$root/Fuzz/corpus/$name" ]]; then cp -R "$root/Fuzz/corpus/$name/." "$corpus/"; fi

    echo "== $name: fuzzing for ${seconds}s"
    if "$binary" "$corpus" -max_total_time="$seconds" -rss_limit_mb=512 -max_len=65536 -timeout=10 \
        -print_final_stats=1 -artifact_prefix="$artifacts/$name/"; then
        echo "== $name: no crash"
    else
        echo "== $name: FAILED (libFuzzer exit $?)" >&2
        for file in "$artifacts/$name"/*; do
            [[ -e "$file" ]] && echo "   crash input: $file" >&2
        done
        status=1
    fi
done

if [[ $found == 0 ]]; then
    echo "no Fuzz/*Fuzz/ targets found" >&2
    exit 1
fi
if [[ $status == 0 ]]; then rm -rf "$artifacts"; fi
exit $status
