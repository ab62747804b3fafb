#!/bin/bash
# The build in tiers: each part beyond the core, left out with its
# configure option, builds the rest while its libraries are hidden from
# pkg-config (so they are surely not needed); a part left on whose
# library is missing stops configure with the option that leaves it out;
# without Check everything builds, and make check says what to install.
# Each configuration builds from this source tree in a directory of its
# own.  Each case is one line "PASS name" or "FAIL name: why".
set -u

top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}
top_srcdir=$(cd "$top_srcdir" && pwd)
work=$(mktemp -d "${TMPDIR:-/tmp}/tlog-tiers.XXXXXX")
trap 'rm -rf "$work"' EXIT

pass=0
fail=0
ok() { echo "PASS $1"; pass=$((pass + 1)); }
bad() { echo "FAIL $1: $2"; fail=$((fail + 1)); }

if [ ! -x "$top_srcdir/configure" ]; then
    echo "FAIL setup: no $top_srcdir/configure (run autoreconf -fi)"
    exit 1
fi

# A pkg-config directory holding every module this machine has, less
# those named
pc_without() {
    local dir=$work/pc-$1 d f
    shift
    mkdir -p "$dir"
    for d in $(pkg-config --variable pc_path pkg-config | tr : ' '); do
        for f in "$d"/*.pc; do
            [ -e "$f" ] && [ ! -e "$dir/${f##*/}" ] && ln -s "$f" "$dir/"
        done
    done
    for f in "$@"; do
        rm -f "$dir/$f.pc"
    done
    echo "$dir"
}

# configure and build in $work/NAME with PKG_CONFIG_LIBDIR=PCDIR and the
# options given; 0 when both succeed (their output in the directory)
build() {
    local name=$1 pc=$2
    shift 2
    mkdir -p "$work/$name"
    (cd "$work/$name" &&
     PKG_CONFIG_LIBDIR=$pc "$top_srcdir/configure" --enable-werror \
         --disable-ui "$@" >configure.out 2>&1 &&
     make -j2 >make.out 2>&1)
}

# The programs a build made, by their paths in it
has() { [ -x "$work/$1/$2" ]; }

# dir, name, the modules hidden, the options, the programs it must have
# and those it must not
tier() {
    local dir=$1 name=$2 hide=$3 opts=$4 want=$5 unwanted=$6 p
    local missing="" extra="" pc
    pc=$(pc_without "$dir" $hide)
    # shellcheck disable=SC2086
    if ! build "$dir" "$pc" $opts; then
        bad "$name" "did not build: $(tail -3 "$work/$dir/configure.out" \
            "$work/$dir/make.out" 2>/dev/null | tr '\n' ' ')"
        return
    fi
    for p in $want; do
        has "$dir" "$p" || missing="$missing $p"
    done
    for p in $unwanted; do
        has "$dir" "$p" && extra="$extra $p"
    done
    if [ -n "$missing$extra" ]; then
        bad "$name" "programs missing:${missing:- none}; built though" \
            "left out:${extra:- none}"
    else
        ok "$name"
    fi
}

CORE="rec/tlog-rec rec/tlog-rec-session rec/tlog-recd play/tlog-play"
AUSHAPE="aushape/aushape"
SEAL="seal/tlog-seal seal/tlog-verify"
POLICY="sssd-plugin/tlog-policy sssd-plugin/libnss_tlog.so.2
        sssd-plugin/pam_tlog.so"
WEB="web/tlog-web"

tier no-aushape "--disable-aushape: no libauparse needed, the rest built" \
    "auparse" "--disable-aushape" "$CORE $SEAL $POLICY $WEB" "$AUSHAPE"
tier no-es "--disable-es --disable-web: no libcurl needed, the rest built" \
    "libcurl" "--disable-es --disable-web" "$CORE $AUSHAPE $SEAL $POLICY" \
    "$WEB"
tier no-seal "--disable-seal --disable-web: no libsodium needed, the rest built" \
    "libsodium" "--disable-seal --disable-web" "$CORE $AUSHAPE $POLICY" \
    "$SEAL $WEB"
tier no-web "--disable-web: no libmicrohttpd, GnuTLS or libvterm needed" \
    "libmicrohttpd gnutls vterm" "--disable-web" \
    "$CORE $AUSHAPE $SEAL $POLICY" "$WEB"
tier no-policy "--disable-policy: the rest built" \
    "" "--disable-policy" "$CORE $AUSHAPE $SEAL $WEB" "$POLICY"
tier core "every part left out, and no Check: the core alone" \
    "libcurl auparse libsodium libmicrohttpd gnutls vterm check" \
    "--disable-es --disable-aushape --disable-seal --disable-web
     --disable-policy" "$CORE" "$AUSHAPE $SEAL $POLICY $WEB"

# without Check, make check stops first and says what to install
if [ -f "$work/core/Makefile" ]; then
    out=$(cd "$work/core" && make check 2>&1)
    st=$?
    if [ $st -ne 0 ] && echo "$out" | grep -q "need Check (libcheck)"; then
        ok "make check without Check: it says to install Check"
    else
        bad "make check without Check" "status $st: $(echo "$out" |
            tail -2 | tr '\n' ' ')"
    fi
    # the player built without Elasticsearch says how to get it
    out=$("$work/core/play/tlog-play" -r es --es-query 'rec:"x"' \
          --es-baseurl http://127.0.0.1:9/x/_search 2>&1 </dev/null)
    st=$?
    if [ $st -ne 0 ] && echo "$out" | grep -q "without Elasticsearch"; then
        ok "tlog-play built without Elasticsearch: says so when asked to"
    else
        bad "tlog-play built without Elasticsearch" "status $st: $out"
    fi
fi

# a part left on whose library is missing: configure names the option
for part in "es libcurl" "aushape auparse" "seal libsodium" \
            "web libmicrohttpd"; do
    set -- $part
    pc=$(pc_without "missing-$1" "$2")
    mkdir -p "$work/missing-$1"
    out=$(cd "$work/missing-$1" && PKG_CONFIG_LIBDIR=$pc \
          "$top_srcdir/configure" --disable-ui 2>&1)
    st=$?
    if [ $st -ne 0 ] && echo "$out" | grep -q -- "--disable-$1"; then
        ok "no $2: configure stops and names --disable-$1"
    else
        bad "no $2" "configure status $st: $(echo "$out" | tail -1)"
    fi
done

echo "tiers: $pass passed, $fail failed"
[ "$fail" -eq 0 ] && [ "$pass" -gt 0 ]
