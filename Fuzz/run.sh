#!/usr/bin/env bash
# Builds and runs every libFuzzer target under Fuzz/ (each Fuzz/*Fuzz/ folder) for SECONDS seconds.
#
# Usage: Fuzz/run.sh SECONDS
#
# Each target is compiled by swiftc directly, together with the ChatProtocol sources as one module, with
# `-O -sanitize=fuzzer,address`. (Built through SwiftPM, `swift build --sanitize fuzzer`, the fuzz binaries linked
# and ran but libFuzzer never registered coverage counters for ChatProtocol, so it fuzzed blind with a 1-byte
# corpus; compiling the module ourselves instruments every file.) The target's own `import ChatProtocol` line is
# dropped for that single-module build; `-package-name` keeps `package` declarations visible.
# Each target runs on a temporary copy of its seed corpus Fuzz/corpus/NAME (new corpus entries are not written
# into the repo). Crash, timeout and out-of-memory inputs are saved under a temporary artifacts directory and
# printed. Exits non-zero if a target fails to build, runs without coverage counters, or finds a crash.
set -euo pipefail

seconds="${1:-}"
if ! [[ "$seconds" =~ ^[0-9]+$ ]]; then
    echo "usage: $0 SECONDS" >&2
    exit 2
fi

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
artifacts="$(mktemp -d "${TMPDIR:-/tmp}/random-chat-fuzz-artifacts.XXXXXX")"
work="$(mktemp -d "${TMPDIR:-/tmp}/random-chat-fuzz-work.XXXXXX")"
trap 'rm -rf "$work"' EXIT

# The Swift runtime's backtracer and ASan interfere; libFuzzer prints its own stack.
export SWIFT_BACKTRACE=enable=no

mapfile -t sources < <(find "$root/Sources/ChatProtocol" -name '*.swift' | sort)
features=()
for feature in ExistentialAny InternalImportsByDefault MemberImportVisibility; do
    features+=(-enable-upcoming-feature "$feature")
done

status=0
found=0
for dir in "$root"/Fuzz/*Fuzz/; do
    [[ -d "$dir" ]] || continue
    name="$(basename "$dir")"
    found=$((found + 1))
    echo "== $name: building"
    mkdir -p "$work/$name/src"
    for file in "$dir"*.swift; do
        sed -E '/^(public |internal |package )?import ChatProtocol$/d' "$file" >"$work/$name/src/$(basename "$file")"
    done
    binary="$work/$name/$name"
    if ! swiftc -O -sanitize=fuzzer,address -parse-as-library -swift-version 6 -package-name random_chat \
        "${features[@]}" -module-name "$name" \
        "${sources[@]}" "$work/$name/src/"*.swift -o "$binary" 2> >(grep -v 'ld.gold: warning: Cannot export' >&2); then
        echo "== $name: BUILD FAILED" >&2
        status=1
        continue
    fi

    corpus="$work/$name/corpus"
    mkdir -p "$corpus" "$artifacts/$name"
    if [[ -d "$root/Fuzz/corpus/$name" ]]; then cp -R "$root/Fuzz/corpus/$name/." "$corpus/"; fi

    echo "== $name: fuzzing for ${seconds}s"
    log="$work/$name.log"
    set +e
    "$binary" "$corpus" -max_total_time="$seconds" -rss_limit_mb=1024 -max_len=65536 -timeout=10 \
        -print_final_stats=1 -artifact_prefix="$artifacts/$name/" >"$log" 2>&1
    code=$?
    set -e
    grep -E "INFO: Loaded|INITED|DONE|ERROR|SUMMARY" "$log" || true
    if [[ $code != 0 ]]; then
        tail -40 "$log" >&2
        echo "== $name: FAILED (libFuzzer exit $code)" >&2
        for file in "$artifacts/$name"/*; do
            [[ -e "$file" ]] && echo "   crash input: $file" >&2
        done
        status=1
    elif ! grep -q "INFO: Loaded [0-9]* modules" "$log"; then
        echo "== $name: FAILED: no coverage counters were loaded; the fuzzer ran blind" >&2
        status=1
    else
        echo "== $name: no crash"
    fi
done

if [[ $found == 0 ]]; then
    echo "no Fuzz/*Fuzz/ targets found" >&2
    exit 1
fi
if [[ $status == 0 ]]; then rm -rf "$artifacts"; fi
exit $status
