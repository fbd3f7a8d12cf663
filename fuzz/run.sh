#!/usr/bin/env bash
# Runs every fuzz target for a bounded time (default 60 s each) on the nightly toolchain, seeded
# with the example GNIs and a few rule bodies, and says which target found a crash. Crashes are
# kept by cargo-fuzz in fuzz/artifacts/<target>/; fix them and add each as a unit test.
#   bash fuzz/run.sh [seconds]        # needs `cargo install cargo-fuzz` and `rustup toolchain install nightly`
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"
seconds="${1:-60}"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$PWD/target}"

mkdir -p corpus/gni_parse corpus/rule_json corpus/cli_line
cp ../examples/gni/*.xml corpus/gni_parse/
printf '%s' '{"type": "accept", "nwProto": 6, "tpDst": {"start": 22, "end": 22}}' > corpus/rule_json/accept
printf '%s' '{"type": "dnat", "flowAction": "accept", "natTargets": [{"addressFrom": "10.0.0.1", "addressTo": "10.0.0.1", "portFrom": 80, "portTo": 80}]}' > corpus/rule_json/dnat
printf '%s' '{"type": "jump", "jumpChainId": "00000000-0000-0000-0000-000000000001", "nwSrcAddress": "10.0.0.0", "nwSrcLength": 8, "invNwSrc": true}' > corpus/rule_json/jump
printf '%s' 'router list' > corpus/cli_line/list
printf '%s' 'chain 00000000-0000-0000-0000-000000000001 add rule type accept src !10.0.0.0/8 dst-port 22 pos 1' > corpus/cli_line/rule
printf '%s' 'router router0 add port address 10.0.0.1 net 10.0.0.0/24' > corpus/cli_line/port

status=0
for target in gni_parse rule_json cli_line; do
    echo "== $target: ${seconds} s"
    if cargo +nightly fuzz run "$target" "corpus/$target" -- -max_total_time="$seconds" -rss_limit_mb=2048 2>&1 |
        tee "/tmp/fuzz-$target.log" | grep -E '^(#[0-9]+\s+DONE|Done [0-9]+ runs|==[0-9]+== ERROR|SUMMARY)'; then :; fi
    if grep -qE 'panicked|ERROR: libFuzzer|SUMMARY: ' "/tmp/fuzz-$target.log"; then
        echo "$target: CRASH, see fuzz/artifacts/$target/ and /tmp/fuzz-$target.log"
        status=1
    else
        runs=$(grep -oE 'Done [0-9]+ runs' "/tmp/fuzz-$target.log" | tail -1 || true)
        echo "$target: no crash (${runs:-see /tmp/fuzz-$target.log})"
    fi
done
exit $status
