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
# SVTEST_ARCHS="aarch64 ..." (make test sets it): a subset of the suites
# against each cross build, see below.
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
# Cross builds: SVTEST_ARCHS="aarch64 ..." (make test sets it) runs the
# suites again against each build/ARCH (scripts/xbin.sh: natively if the
# kernel can, else under qemu-user). By default a subset that takes every
# syscall path (ARCH_TESTS below; SVTEST_ARCH_FULL=1: every test that
# qemu-user can run). Not under qemu-user, for its own limits, and covered
# by the boots of qemu-arch.bats instead: PR_SET_CHILD_SUBREAPER is not
# emulated (EINVAL: nested-mode orphans and strays), vfork is a fork (the
# exec-failure report through shared memory is not seen: "bad dir: run
# not executable", "exec failure", "-- COMMAND: not found/not executable",
# "a service dir made in place", "a logger that cannot start",
# "a FIFO as a config file" for its run that is a directory); the
# signal-state tests ("signals:", "run: environment", "command and
# service"), because a service exec'd by qemu-user sometimes shows host
# signal 32 ignored (glibc's, inside qemu itself; seen in full runs only,
# never alone): the boots check SigBlk/SigIgn on a real kernel instead;
# and timing tests, which emulation makes slow.
ARCH_FILES="test/portable.bats test/service.bats test/svctl.bats test/svdir.bats
	test/logpair.bats test/pid1.bats test/svlog.bats test/security.bats"
ARCH_TESTS='^user: |^finish: gets -1|^log/run: stdout|^notification-fd: starting until|^timeout-kill: SIGKILL goes to the group|^env/: first line|^bad dir: invalid files|^status: all services|^-w: down waits|^-j: JSON|^garbage in the control FIFO: one-line|^exit 5: |^enabling: |^disabling: |^SIGHUP to init does not kill|^RUNDIR: created|^service killed: logger keeps|^-- COMMAND: exit codes pass through .container|^-- COMMAND: forwarded signals arrive once, init does not act on them .nested|^orphans: 1000 orphans of the command|^container: strays get SIGTERM|^SIGTERM stops everything and exits 0 .container|^signal 37 stops everything|^svlog: rotation keeps|^svlog: SIGALRM|^svlog: full disk drops|^svlog: -t prefixes'
ARCH_SKIP='^signals: |^run: environment|^command and service: empty signal mask|^a FIFO as a config file|^nested: init makes itself child subreaper|^nested: strays of services|^orphans: .* \(nested\)|^bad dir: run not executable|^bad dir: exec failure|^-- COMMAND: not (found|executable)|^a service dir made in place|^a logger that cannot start'
for a in ${SVTEST_ARCHS:-}; do
	echo "# ---- $a: build/$a/init"
	# wrappers in a dir of their own that any user can reach (some tests
	# run svctl as nobody; the checkout may be in a private dir)
	[ -n "$work" ] || { work=$(mktemp -d /tmp/svasan.XXXXXX) && chmod 0755 "$work"; }
	mkdir -p "$work/$a" && chmod 0755 "$work/$a"
	if ! bin=$(scripts/xbin.sh "$a" "$work/$a" 2>&1); then
		echo "not ok - $a: $bin"
		fail=$((fail + 1))
		continue
	fi
	if [ "${SVTEST_ARCH_FULL:-}" = 1 ]; then
		# bats has no exclusion filter: every name but the skipped ones
		names=$(sed -n 's/^@test "\(.*\)" {.*/\1/p' $ARCH_FILES | grep -Ev "$ARCH_SKIP" |
			sed 's/[][\.*^$()+?{}|]/\\&/g; s/^/^/; s/$/$/' | paste -sd'|')
	else
		names=$ARCH_TESTS
	fi
	# shellcheck disable=SC2086
	SVTEST_BIN=$bin bats --tap --filter "$names" $ARCH_FILES 2>&1 |
		sed -u "s/^\(\(not \)\{0,1\}ok [0-9]*\) /\1 [$a] /" | tee "$out"
	count
done
echo "$pass passed, $fail failed, $skip skipped"
[ "$fail" -eq 0 ]
