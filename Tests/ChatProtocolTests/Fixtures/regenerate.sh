#!/usr/bin/env bash
# Regenerates the protobuf golden vectors: for every row of protobuf/manifest.tsv
# (NAME<TAB>full.message.Type<TAB>proto file), encodes protobuf/NAME.txtpb with
#   protoc -I proto -I Tests/ChatProtocolTests/Fixtures/protobuf --encode=TYPE FILE < NAME.txtpb > NAME.bin
# (proto files resolve against proto/ for the schema, or against protobuf/ for the test-only schemas in test/).
#
# Usage: regenerate.sh           rewrite the committed .bin files
#        regenerate.sh --check   regenerate into a temporary directory; exit 1, listing the files, if any
#                                committed .bin differs or is missing (CI runs this)
# Works from any directory. Needs protoc (3.21.12 made the committed vectors).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../../.." && pwd)"
fixtures="$here/protobuf"
protoc="${PROTOC:-protoc}"

check=0
case "${1:-}" in
    --check) check=1 ;;
    "") ;;
    *) echo "usage: $0 [--check]" >&2; exit 2 ;;
esac

out="$fixtures"
if [[ $check == 1 ]]; then
    out="$(mktemp -d)"
    trap 'rm -rf "$out"' EXIT
fi

count=0
while IFS=$'\t' read -r name type proto; do
    [[ -z "$name" || "$name" == \#* ]] && continue
    (cd "$root" && "$protoc" -I proto -I "$fixtures" --encode="$type" "$proto") \
        < "$fixtures/$name.txtpb" > "$out/$name.bin"
    count=$((count + 1))
done < "$fixtures/manifest.tsv"

if [[ $check == 1 ]]; then
    differ=()
    while IFS=$'\t' read -r name _ _; do
        [[ -z "$name" || "$name" == \#* ]] && continue
        if ! cmp -s "$out/$name.bin" "$fixtures/$name.bin"; then differ+=("$fixtures/$name.bin"); fi
    done < "$fixtures/manifest.tsv"
    if (( ${#differ[@]} > 0 )); then
        echo "regenerate.sh --check: ${#differ[@]} golden vector(s) differ from protoc's output:" >&2
        printf '  %s\n' "${differ[@]}" >&2
        echo "run Tests/ChatProtocolTests/Fixtures/regenerate.sh and commit the result" >&2
        exit 1
    fi
    echo "regenerate.sh --check: $count golden vectors match protoc"
else
    echo "regenerate.sh: wrote $count golden vectors to $fixtures"
fi
