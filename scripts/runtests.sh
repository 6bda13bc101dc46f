#!/bin/sh
# Run the bats suites and end with one line "N passed, N failed, N skipped".
# Usage: runtests.sh [test/FILE.bats ...]   (default: every test/*.bats)
#
# The whole suite runs inside a fresh PID and mount namespace, so nothing a
# test starts can touch the host's processes, and every process left behind
# dies with the namespace when the suite ends.
cd "$(dirname "$0")/.." || exit 2
[ $# -gt 0 ] || set -- test/*.bats
if [ -z "${SVTEST_NS:-}" ] && [ "$(id -u)" = 0 ]; then
	SVTEST_NS=1 exec unshare --pid --fork --mount-proc --kill-child "$0" "$@"
fi
out=$(mktemp)
trap 'rm -f "$out"' EXIT
bats --tap "$@" | tee "$out"
pass=$(grep -cE '^ok [0-9]+ ' "$out")
skip=$(grep -cE '^ok [0-9]+ .*# skip' "$out")
fail=$(grep -cE '^not ok [0-9]+ ' "$out")
planned=$(sed -n 's/^1\.\.\([0-9]*\)$/\1/p' "$out" | head -1)
pass=$((pass - skip))
ran=$((pass + skip + fail))
if [ -n "$planned" ] && [ "$ran" -lt "$planned" ]; then
	# a test file that died half-way: count what never reported as failed
	fail=$((fail + planned - ran))
fi
echo "$pass passed, $fail failed, $skip skipped"
[ "$fail" -eq 0 ]
