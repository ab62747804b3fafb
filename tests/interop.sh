#!/bin/bash
# Interop with the reference implementation (Debian package tlog):
#  1. messages our encoder writes play in /usr/bin/tlog-play to the exact
#     bytes, at several payload sizes;
#  2. recordings /usr/bin/tlog-rec makes under a real PTY decode with our
#     decoder to the exact bytes the program wrote (and typed input), and
#     to the same bytes the reference player gives.
# Each case is one line "PASS name" or "FAIL name: why"; the test fails if
# any case fails.
set -u

top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}
top_builddir=${top_builddir:-$top_srcdir}
codec=$top_builddir/tests/codec
gen=$top_srcdir/tests/gen_stream.py
ptyrun=$top_srcdir/tests/tlog_pty_run.py
ref_rec=/usr/bin/tlog-rec
ref_play=/usr/bin/tlog-play
# The reference player ends its output with this terminal reset
trailer=$'\e[0m\e[?25h\n'

fail=0
pass=0
for tool in "$ref_rec" "$ref_play" "$codec" python3; do
    if ! command -v "$tool" >/dev/null; then
        echo "FAIL setup: $tool not found (run tools/install-deps)"
        exit 1
    fi
done
# tlog-rec refuses to run without a utmp file
if [ ! -e /var/run/utmp ]; then
    if [ "$(id -u)" -ne 0 ]; then
        echo "SKIP: /var/run/utmp missing, and only root may make it"
        exit 77
    fi
    install -m 664 -g utmp /dev/null /var/run/utmp
fi

tmp=$(mktemp -d /tmp/interop.XXXXXX)
trap 'exec 9>&-; rm -rf "$tmp"' EXIT
# The reference player spins when its stdin is at end of file: give it a
# pipe that stays open and silent.
mkfifo "$tmp/quiet"
exec 9<>"$tmp/quiet"

result() {
    if [ "$1" = ok ]; then
        echo "PASS $2"
        pass=$((pass + 1))
    else
        echo "FAIL $2: $3"
        fail=$((fail + 1))
    fi
}

# Play a recording with the reference player into $2, trailer checked and
# removed.  Returns non-zero with the reason on stdout.
ref_play_to() {
    local rec=$1 out=$2
    if ! timeout 60 "$ref_play" -i "$rec" <&9 >"$out.raw" 2>"$out.err"; then
        echo "tlog-play failed: $(head -c 300 "$out.err")"
        return 1
    fi
    local size
    size=$(stat -c %s "$out.raw")
    # 12 bytes: the reset sequence and a NUL
    if [ "$size" -lt 12 ] ||
       ! cmp -s <(tail -c 12 "$out.raw") <(printf '%s\0' "$trailer"); then
        echo "tlog-play output lacks its 12-byte trailer"
        return 1
    fi
    head -c $((size - 12)) "$out.raw" >"$out"
}

cases=$(python3 "$gen" list)

# 1. ours -> reference player
for name in $cases; do
    python3 "$gen" output "$name" >"$tmp/$name.want"
    for payload in 32 64 2048; do
        id="ours->ref $name payload=$payload"
        rec=$tmp/$name.$payload.json
        if ! python3 "$gen" script "$name" |
                "$codec" encode -p "$payload" -o "$rec" 2>"$tmp/err"; then
            result no "$id" "encode failed: $(cat "$tmp/err")"
            continue
        fi
        if ! why=$(ref_play_to "$rec" "$tmp/$name.$payload.play"); then
            result no "$id" "$why"
        elif ! cmp -s "$tmp/$name.want" "$tmp/$name.$payload.play"; then
            result no "$id" "played bytes differ: $(cmp "$tmp/$name.want" \
                "$tmp/$name.$payload.play" 2>&1 | head -1)"
        else
            # our own decoder agrees, and the message count shows splitting
            "$codec" decode "$rec" >"$tmp/$name.$payload.ours"
            if ! cmp -s "$tmp/$name.want" "$tmp/$name.$payload.ours"; then
                result no "$id" "our decoder differs"
            else
                result ok "$id ($(wc -l <"$rec") messages)"
            fi
        fi
    done
done

# 2. reference recorder -> ours
for name in $cases; do
    for payload in 64 2048; do
        id="ref->ours $name payload=$payload"
        rec=$tmp/ref.$name.$payload.json
        if ! timeout 60 python3 "$ptyrun" --case "$name" -- \
                "$ref_rec" --payload="$payload" --log-input=true \
                -o "$rec" python3 "$gen" emit "$name" \
                >"$tmp/err" 2>&1; then
            result no "$id" "tlog-rec failed: $(head -c 300 "$tmp/err")"
            continue
        fi
        if ! "$codec" decode "$rec" >"$tmp/ref.$name.ours" 2>"$tmp/err"; then
            result no "$id" "our decoder refused it: $(cat "$tmp/err")"
            continue
        fi
        if ! cmp -s "$tmp/$name.want" "$tmp/ref.$name.ours"; then
            result no "$id" "decoded output differs from what was written:" \
                "$(cmp "$tmp/$name.want" "$tmp/ref.$name.ours" 2>&1 | head -1)"
            continue
        fi
        if ! why=$(ref_play_to "$rec" "$tmp/ref.$name.play"); then
            result no "$id" "$why"
            continue
        fi
        if ! cmp -s "$tmp/ref.$name.play" "$tmp/ref.$name.ours"; then
            result no "$id" "reference player and ours differ"
            continue
        fi
        # input typed at the terminal decodes to the same bytes
        "$codec" decode --packets "$rec" >"$tmp/ref.$name.pk"
        python3 "$gen" input "$name" | od -An -v -tx1 | tr -d ' \n' \
            >"$tmp/$name.in.want"
        awk '$1 == "i" { printf "%s", $3 }' "$tmp/ref.$name.pk" \
            >"$tmp/ref.$name.in"
        if ! cmp -s "$tmp/$name.in.want" "$tmp/ref.$name.in"; then
            result no "$id" "input differs: want $(cat "$tmp/$name.in.want")" \
                "got $(cat "$tmp/ref.$name.in")"
            continue
        fi
        # window changes made at the terminal are in the recording
        want_w=$(python3 "$gen" script "$name" | awk '$1 == "w" {print $3"x"$4}' |
                 uniq | tr '\n' ' ')
        got_w=$(awk '$1 == "w" {print $3"x"$4}' "$tmp/ref.$name.pk" | uniq |
                tr '\n' ' ')
        if [ "$want_w" != "$got_w" ]; then
            result no "$id" "windows: want [$want_w] got [$got_w]"
            continue
        fi
        result ok "$id ($(wc -l <"$rec") messages)"
    done
done

echo "interop: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
