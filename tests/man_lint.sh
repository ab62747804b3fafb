#!/bin/sh
# Every manual page is clean under mandoc -Tlint (warnings included).
top_srcdir=${top_srcdir:-$(dirname "$0")/..}
if ! command -v mandoc >/dev/null; then
    echo "FAIL setup: mandoc not found (run tools/install-deps)"
    exit 1
fi
pass=0
fail=0
for page in "$top_srcdir"/man/*.[1-8]; do
    if out=$(mandoc -Tlint -W warning "$page" 2>&1) && [ -z "$out" ]; then
        echo "PASS $(basename "$page")"
        pass=$((pass + 1))
    else
        echo "FAIL $(basename "$page"):"
        echo "$out"
        fail=$((fail + 1))
    fi
done
echo "man: $pass passed, $fail failed"
[ "$fail" -eq 0 ] && [ "$pass" -gt 0 ]
