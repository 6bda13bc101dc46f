#!/bin/sh
# Run the bats suites and end with one line "N passed, N failed, N skipped".
# Usage: runtests.sh [test/FILE.bats ...]   (default: every test/*.bats)
#
# The whole suite runs inside a fresh PID and mount namespace, so nothing a
# test starts can touch the host's processes, and every process left behind
# dies with the namespace when the suite ends.
#
# SVTEST_ASAN="NAME ..." (make test sets it): those of the suites (names of
# test/NAME.bats) run a second time against ./init-asan, the ASan + UBSan
# build of `make init-asan`; every report of a sanitizer, from any process
# (init, svctl, svlog), counts as one more failed test. The last line sums
# both runs.
# SVTEST_BIN=DIR runs the suites against DIR/init, DIR/svctl, DIR/svlog
# instead of the ones in the repo (see test/helpers.bash).
cd "$(dirname "$0")/.." || exit 2
[ $# -gt 0 ] || set -- test/*.bats
if [ -z "${SVTEST_NS:-}" ] && [ "$(id -u)" = 0 ]; then
	SVTEST_NS=1 exec unshare --pid --fork --mount-proc --kill-child "$0" "$@"
fi
out=$(mktemp)
work=
trap 'rm -f "$out"; [ -z "$work" ] || rm -rf "$work"' EXIT
pass=0 fail=0 skip=0

# count: add the results of the TAP output in $out to the totals
count() {
	p=$(grep -cE '^ok [0-9]+ ' "$out")
	s=$(grep -cE '^ok [0-9]+ .*# skip' "$out")
	f=$(grep -cE '^not ok [0-9]+ ' "$out")
	planned=$(sed -n 's/^1\.\.\([0-9]*\)$/\1/p' "$out" | head -1)
	p=$((p - s))
	ran=$((p + s + f))
	if [ -n "$planned" ] && [ "$ran" -lt "$planned" ]; then
		# a test file that died half-way: count what never reported as failed
		f=$((f + planned - ran))
	fi
	pass=$((pass + p)) fail=$((fail + f)) skip=$((skip + s))
}

bats --tap "$@" | tee "$out"
count

# the same suites against the sanitizer build
asan=
for f in "$@"; do
	b=${f##*/}
	case " ${SVTEST_ASAN:-} " in *" ${b%.bats} "*) asan="$asan $f" ;; esac
done
if [ -n "$asan" ] && [ ! -x init-asan ]; then
	echo "# ASan: ./init-asan missing (make init-asan): not run"
	fail=$((fail + 1))
elif [ -n "$asan" ]; then
	work=$(mktemp -d /tmp/svasan.XXXXXX)
	chmod 0755 "$work"  # some tests run svctl as nobody
	mkdir -p "$work/bin" "$work/san"
	chmod 1777 "$work/san"
	cp init-asan "$work/bin/init"
	ln -s init "$work/bin/svctl"
	ln -s init "$work/bin/svlog"
	echo "# ASan + UBSan build (init-asan):$asan"
	# abort_on_error=0: a report must not kill init mid-test more than it
	# has to; every report lands in $work/san either way
	# shellcheck disable=SC2086
	SVTEST_BIN=$work/bin \
	ASAN_OPTIONS="log_path=$work/san/asan:detect_leaks=1:abort_on_error=0" \
	UBSAN_OPTIONS="log_path=$work/san/ubsan:print_stacktrace=1" \
		bats --tap $asan | sed -u 's/^\(\(not \)\{0,1\}ok [0-9]*\) /\1 [asan] /' | tee "$out"
	count
	for r in "$work"/san/*; do
		[ -e "$r" ] || continue
		fail=$((fail + 1))
		echo "not ok - [asan] sanitizer report ${r##*/}"
		grep -E 'ERROR|runtime error|SUMMARY|^ +#[0-9]+ ' "$r" | head -40 | sed 's/^/# /'
	done
fi
echo "$pass passed, $fail failed, $skip skipped"
[ "$fail" -eq 0 ]
