#!/bin/sh
# run.sh: build the libFuzzer harnesses and run each for a while.
#
#   test/fuzz/run.sh [-t SECS] [-o DIR] [-c CORPUS] [NAME...]
#
#   NAME     control, svdir, status, svlog, supervise, names, rundir, loop
#            (default: all)
#   -t SECS  time per fuzzer (default 20)
#   -o DIR   where binaries, corpora and crash files go (default: a temp
#            dir, removed at the end unless something crashed)
#   -c DIR   extra seed inputs: DIR/NAME/* (e.g. a real status file)
#
# Each harness #includes the C file it fuzzes (see the comment at its top);
# the sources are not changed. Built with clang -fsanitize=fuzzer,address,
# undefined, and -ftrivial-auto-var-init=pattern so that a read of an
# uninitialized local crashes instead of passing by luck.
#
# Exit 0 when no fuzzer found anything; 1 when one did (the input that
# did it is kept in DIR/crash/NAME/, and the way to replay it is printed);
# 2 on a build or usage error.
set -u
here=$(cd "$(dirname "$0")" && pwd)
secs=20 out='' extra=''
while getopts t:o:c: opt; do
	case $opt in
	t) secs=$OPTARG ;;
	o) out=$OPTARG ;;
	c) extra=$OPTARG ;;
	*) echo "usage: run.sh [-t SECS] [-o DIR] [-c DIR] [NAME...]" >&2; exit 2 ;;
	esac
done
shift $((OPTIND - 1))
[ $# -gt 0 ] || set -- control svdir status svlog supervise names rundir loop

CC=${FUZZ_CC:-clang}
if ! command -v "$CC" >/dev/null 2>&1; then
	echo "run.sh: $CC not found (apt-get install clang libclang-rt-14-dev)" >&2
	exit 2
fi
keep=1
if [ -z "$out" ]; then
	out=$(mktemp -d /tmp/svfuzz.XXXXXX)
	keep=
fi
mkdir -p "$out/bin" "$out/tmp" "$out/crash"
export FUZZ_TMP="$out/tmp"
"$here/seeds.sh" "$out/seeds" || exit 2

CFLAGS="-g -O1 -std=c11 -D_GNU_SOURCE -fsanitize=fuzzer,address,undefined \
-fno-sanitize-recover=all -ftrivial-auto-var-init=pattern -Wall -Wno-unused-function"
# leaks are checked per input; the harnesses hold nothing between inputs
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1}

failed=
for name in "$@"; do
	src=$here/fuzz_$name.c
	if [ ! -f "$src" ]; then
		echo "run.sh: no fuzzer named $name" >&2
		exit 2
	fi
	bin=$out/bin/fuzz_$name
	# shellcheck disable=SC2086
	if ! $CC $CFLAGS -o "$bin" "$src" 2>"$out/build_$name.log"; then
		echo "fuzz $name: BUILD FAILED" >&2
		cat "$out/build_$name.log" >&2
		exit 2
	fi
	corpus=$out/corpus/$name
	mkdir -p "$corpus" "$out/crash/$name"
	dict=
	[ ! -f "$here/$name.dict" ] || dict="-dict=$here/$name.dict"
	seeds="$out/seeds/$name"
	mkdir -p "$seeds"
	[ -z "$extra" ] || [ ! -d "$extra/$name" ] || seeds="$seeds $extra/$name"
	# new inputs go to the first corpus dir; the seed dirs are only read
	# svlog takes SIGALRM for itself: no per-input timer there (the
	# outer timeout still ends a hang). svctl and svlog write their own
	# errors to fd 2: -close_fd_mask=2 hides them (libFuzzer and the
	# sanitizers keep theirs); the other harnesses send init's to
	# /dev/null themselves and print why an invariant failed on fd 2.
	unit=10 mask=0
	case $name in
	svlog) unit=0 mask=2 ;;
	status|rundir) mask=2 ;;
	esac
	# shellcheck disable=SC2086
	timeout -s KILL $((secs + 60)) \
	"$bin" -max_total_time="$secs" -timeout=$unit -rss_limit_mb=1024 -max_len=8192 \
		-close_fd_mask=$mask -print_final_stats=1 $dict \
		-artifact_prefix="$out/crash/$name/" "$corpus" $seeds \
		>"$out/fuzz_$name.log" 2>&1
	rc=$?
	runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$out/fuzz_$name.log")
	cov=$(grep -Eo 'cov: [0-9]+' "$out/fuzz_$name.log" | tail -1)
	if [ "$rc" -ne 0 ] || [ -n "$(ls -A "$out/crash/$name")" ]; then
		failed="$failed $name"
		echo "fuzz $name: FOUND A PROBLEM (exit $rc) after ${runs:-?} runs"
		grep -E '^(==[0-9]+==ERROR|SUMMARY)|^fuzz_[a-z]+:|^ +#[0-9]+ .* in ' "$out/fuzz_$name.log" |
			grep -v -e 'fuzzer::' -e 'libc_start' -e '_start ' -e 'sanitizer_print_stack' \
				-e 'pthread_kill' -e ' raise ' -e ' abort ' | head -25
		for f in "$out/crash/$name"/*; do
			[ -e "$f" ] && echo "  replay: $bin $f"
		done
		keep=1
	else
		echo "fuzz $name: ok, ${runs:-?} runs in ${secs}s, ${cov:-cov: ?}"
	fi
done
if [ -n "$keep" ]; then
	echo "fuzz: files kept in $out"
else
	rm -rf "$out"
fi
[ -z "$failed" ]
