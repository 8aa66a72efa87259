#!/usr/bin/env bash
# Regenerates Sources/SwiftProtobufGenerated from proto/randomchat/v2/*.proto with protoc and protoc-gen-swift
# 1.39.0 (the version Package.swift pins). Run only when the .proto files change; the output is committed so that
# no build ever needs the plugin (its first build is slow). protoc-gen-swift already marks each file
# `// swift-format-ignore-file`, so `swift format lint` skips the generated code.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(dirname "$here")"
version=1.39.0
work="${TMPDIR:-/tmp}/protoc-gen-swift-$version"
if [ ! -x "$work/.build/release/protoc-gen-swift" ]; then
    rm -rf "$work"
    git clone --quiet --depth 1 --branch "$version" https://github.com/apple/swift-protobuf "$work"
    swift build -c release --package-path "$work" --product protoc-gen-swift
fi
out="$here/Sources/SwiftProtobufGenerated"
rm -rf "$out/randomchat"
protoc --plugin=protoc-gen-swift="$work/.build/release/protoc-gen-swift" --swift_opt=Visibility=Public \
    --swift_out="$out" -I "$root/proto" "$root"/proto/randomchat/v2/*.proto
echo "generated: $(cd "$out" && find . -name '*.pb.swift' | sort | tr '\n' ' ')"
