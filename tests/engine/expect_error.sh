#!/bin/sh
# expect_error.sh PATTERN CMD [ARGS...]
# Bad input must end in a clean failure: exit status 1..125 (not a signal,
# not a sanitizer abort), exactly one line on stderr, matching PATTERN
# (extended regex).
pattern=$1
shift
err=$(mktemp)
"$@" >/dev/null 2>"$err"
rc=$?
lines=$(wc -l <"$err")
msg=$(cat "$err")
rm -f "$err"
if [ "$rc" -eq 0 ] || [ "$rc" -gt 125 ]; then
    echo "FAIL: exit status $rc (want 1..125)"; echo "$msg"; exit 1
fi
if [ "$lines" -ne 1 ]; then
    echo "FAIL: $lines lines on stderr (want 1)"; echo "$msg"; exit 1
fi
if ! printf '%s\n' "$msg" | grep -Eq -- "$pattern"; then
    echo "FAIL: stderr does not match '$pattern'"; echo "$msg"; exit 1
fi
echo "ok: status $rc: $msg"
