#!/bin/sh
# chat_commands.sh HONE MODEL: llama-cli's chat commands. Greedy, so /regen
# writes the same answer again; /clear keeps the system prompt; /exit ends
# the session (what follows is not read).
hone=$1 model=$2
fail() { echo "FAIL: $*"; exit 1; }
err=$(mktemp)
trap 'rm -f "$err"' EXIT
out=$(printf 'Tell me a story\n/regen\n/clear\n/exit\nnever read\n' |
      "$hone" run -m "$model" -cnv -sys "Be kind." --temp 0 -n 8 --no-timings 2>"$err") ||
    fail "exit status $?: $(cat "$err")"
# "> " ANSWER "\n> " ANSWER "\n> " (/clear) "> " (/exit) "\n"
a1=$(printf '%s\n' "$out" | sed -n 1p | sed 's/^> //')
a2=$(printf '%s\n' "$out" | sed -n 2p | sed 's/^> //')
[ -n "$a1" ] || fail "no answer: '$out'"
[ "$a1" = "$a2" ] || fail "/regen did not write the answer again: '$a1' vs '$a2'"
[ "$(printf '%s' "$out" | grep -o '> ' | wc -l)" -eq 4 ] || fail "prompts: '$out' (/exit not obeyed?)"
grep -q "conversation cleared (the system prompt kept)" "$err" || fail "/clear: $(cat "$err")"
echo ok
