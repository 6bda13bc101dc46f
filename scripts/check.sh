#!/bin/sh
# check.sh: the checkers, run by `make check` (after `make asan`).
#
#   1. cppcheck                 static analysis, warnings and portability
#   2. clang-tidy               bugprone-*, cert-*, clang-analyzer-* (less the
#                               noisy checks listed below, each with why)
#   3. ASan + UBSan test suites some bats suites run against ./init-asan
#   4. valgrind                 a short scenario: init with 3 services,
#                               svctl status/-j/restart/down/..., svlog
#   5. libFuzzer                each harness of test/fuzz/ for FUZZ_SECS
#
# Exit 0 when nothing was found, 1 otherwise; a summary comes last.
# Environment:
#   FUZZ_SECS=20                      time per fuzzer (0: skip the fuzzers)
#   CHECK_SUITES="svctl service ..."  bats suites run under ASan (names of
#                                     test/*.bats; "" skips the step)
#   CHECK_ONLY="cppcheck tidy asan valgrind fuzz"   run only these steps
#   CHECK_KEEP=1                      keep the work dir (printed at the end)
# Not part of `make test`. Runs as root (apt-get, unshare); every process
# it starts runs inside a PID namespace of its own or is waited for.
set -u

# ---- the valgrind scenario (step 4); check.sh runs itself with
# --valgrind-scenario DIR inside a PID namespace to play it
valgrind_scenario() {
	V=$1
	VG="valgrind -q --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite --track-fds=yes"
	S=$V/svcs SV=$V/sv RUN=$V/run
	mkdir -p "$S/a" "$S/b/log" "$S/c" "$S/d" "$S/e" "$SV" "$V/logs"
	# a: ready through notification-fd 3; b: a logger (svlog under
	# valgrind); c: fails at once (backoff), has finish and env/
	printf '#!/bin/sh\necho a starting\nsleep 0.2\necho >&3\nexec sleep 1000\n' >"$S/a/run"
	echo 3 >"$S/a/notification-fd"
	printf '#!/bin/sh\nwhile :; do echo "b line $$"; sleep 0.1; done\n' >"$S/b/run"
	printf '#!/bin/sh\nexec %s --log-file=%s/vg.svlog.%%p %s/svlog -s 300 -n 2 -t %s/blog\n' \
		"$VG" "$V/logs" "$V" "$V" >"$S/b/log/run"
	printf '#!/bin/sh\necho "c $FOO"; exit 3\n' >"$S/c/run"
	printf '#!/bin/sh\necho "c finish $1 $2"\n' >"$S/c/finish"
	mkdir -p "$S/c/env"; echo bar >"$S/c/env/FOO"
	echo 4 >"$S/c/max-failures"
	printf '#!/bin/sh\nexec sleep 1000\n' >"$S/d/run"
	# e never says it is ready: a readiness pipe stays open all along
	printf '#!/bin/sh\nexec sleep 1000\n' >"$S/e/run"
	echo 3 >"$S/e/notification-fd"
	chmod 755 "$S"/*/run "$S"/*/log/run "$S/c/finish"
	for s in a b c e; do ln -s "$S/$s" "$SV/$s"; done

	sv() { $VG --log-file="$V/logs/vg.svctl.%p" "$V/svctl" -r "$RUN" "$@"; }
	upto() { # upto SECS CMD...: retry CMD every 100 ms
		n=$(($1 * 10)); shift
		while [ "$n" -gt 0 ]; do
			"$@" >/dev/null 2>&1 && return 0
			sleep 0.1; n=$((n - 1))
		done
		echo "valgrind scenario: timed out: $*" >&2
		return 1
	}
	is() { # is NAME WORD: the status line of NAME has WORD
		"$V/svctl" -r "$RUN" status "$1" 2>/dev/null | grep -qw -- "$2"
	}
	nfd() { ls "/proc/$1/fd" | wc -l; }

	$VG --log-file="$V/logs/vg.init.%p" "$V/init" -d "$SV" -r "$RUN" \
		>"$V/init.out" 2>&1 </dev/null &
	ipid=$!
	ok=0
	upto 20 is a ready && upto 20 is b up && upto 20 is c fatal && upto 20 is e starting || ok=1
	# d comes last, so it takes the last slot of init's table: removing c
	# below then frees a slot in the middle of it
	ln -s "$S/d" "$SV/d"; upto 20 is d up || ok=1
	fd0=$(nfd $ipid)
	ls -l "/proc/$ipid/fd" >"$V/fds.before" 2>&1
	sv status >"$V/status.txt"; [ $? -le 3 ] || ok=1
	sv -j status >"$V/status.json"; [ $? -le 3 ] || ok=1
	python3 -c 'import json,sys; json.load(open(sys.argv[1]))' "$V/status.json" 2>/dev/null ||
		{ echo "valgrind scenario: svctl -j: not JSON" >&2; ok=1; }
	cp "$RUN/status" "$V/status.bin" 2>/dev/null  # a seed for the status fuzzer
	sv -w 20 restart a || ok=1
	sv -w 20 down b || ok=1
	sv -w 20 up b || ok=1
	sv -w 20 restart b || ok=1
	sv up c; sv once c; sv term a; sv hup b; sv rescan
	sv status nosuch 2>/dev/null; [ $? = 4 ] || { echo "valgrind scenario: unknown service: not 4" >&2; ok=1; }
	sv bogus 2>/dev/null; [ $? = 2 ] || ok=1
	rm "$SV/c"; upto 20 sh -c "! '$V/svctl' -r '$RUN' status c" || ok=1
	ln -s "$S/c" "$SV/c"; upto 20 is c fatal || ok=1
	upto 20 is a ready && upto 20 is b up && upto 20 is d up || ok=1
	fd1=$(nfd $ipid)
	if [ "$fd0" != "$fd1" ]; then
		echo "valgrind scenario: init had $fd0 fds, $fd1 after restarts and downs:" >&2
		ls -l "/proc/$ipid/fd" >"$V/fds.after" 2>&1
		# the fd numbers open only before, or only after
		for f in before after; do
			sed -n 's/.* \([0-9]*\) -> \(.*\)/\1 \2/p' "$V/fds.$f" | sort >"$V/fds.$f.n"
		done
		join -v1 "$V/fds.before.n" "$V/fds.after.n" | sed 's/^/  closed: fd /' >&2
		join -v2 "$V/fds.before.n" "$V/fds.after.n" | sed 's/^/  opened: fd /' >&2
		ok=1
	fi
	# svlog on its own: rotation, -t, a partial last line
	i=0
	while [ $i -lt 200 ]; do echo "line $i of the input"; i=$((i + 1)); done |
		{ cat; printf 'no newline'; } |
		$VG --log-file="$V/logs/vg.svlog.%p" "$V/svlog" -s 1000 -n 3 "$V/slog" || ok=1
	[ "$(ls "$V/slog" | wc -l)" = 4 ] || { echo "valgrind scenario: svlog: not 3 archives + current" >&2; ok=1; }
	kill -TERM $ipid
	wait $ipid
	irc=$?
	[ $irc = 0 ] || { echo "valgrind scenario: init exited $irc" >&2; ok=1; }
	return $ok
}

if [ "${1:-}" = --valgrind-scenario ]; then
	valgrind_scenario "$2"
	exit
fi
cd "$(dirname "$0")/.." || exit 2
ROOT=$(pwd)
SRCS=$(sed -n 's/^SRCS *= *//p' Makefile)
[ -n "$SRCS" ] || SRCS="init.c supervise.c servicedir.c control.c svctl.c svlog.c"
FUZZ_SECS=${FUZZ_SECS:-20}
CHECK_SUITES=${CHECK_SUITES-"svctl service svdir logpair svlog pid1"}
CHECK_ONLY=${CHECK_ONLY:-"cppcheck tidy asan valgrind fuzz"}
W=$(mktemp -d /tmp/svcheck.XXXXXX)
chmod 0755 "$W"
SUMMARY=$W/summary
: >"$SUMMARY"
t_start=$(date +%s)

cleanup() {
	if [ -n "${CHECK_KEEP:-}" ]; then
		echo "check: work dir kept: $W"
	else
		rm -rf "$W"
	fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

say() { printf '%s\n' "$*"; }
section() { printf '\n==== %s\n' "$*"; }
result() { # result STEP ok|FAIL DETAIL
	printf '%-10s %-4s %s\n' "$1" "$2" "$3" >>"$SUMMARY"
}
wanted() { case " $CHECK_ONLY " in *" $1 "*) return 0 ;; esac; return 1; }

# ---------------------------------------------------------------- tools

need=
want_cmd() { command -v "$1" >/dev/null 2>&1 || need="$need $2"; }
fuzzer_rt() { ls /usr/lib/llvm-*/lib/clang/*/lib/linux/libclang_rt.fuzzer-x86_64.a >/dev/null 2>&1; }
wanted cppcheck && want_cmd cppcheck cppcheck
wanted tidy && want_cmd clang-tidy clang-tidy
wanted valgrind && want_cmd valgrind valgrind
wanted asan && { want_cmd bats bats; want_cmd unshare util-linux; want_cmd python3 python3; }
if wanted fuzz && [ "$FUZZ_SECS" != 0 ]; then
	want_cmd clang clang
	fuzzer_rt || need="$need libclang-rt-14-dev"
fi
want_cmd cc gcc
if [ -n "$need" ]; then
	if [ "$(id -u)" != 0 ]; then
		say "check: missing:$need (run as root, or install them)"
		exit 2
	fi
	say "check: installing$need"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq >/dev/null 2>&1 || true
	# shellcheck disable=SC2086
	if ! apt-get install -y -qq --no-install-recommends $need >/dev/null; then
		say "check: apt-get install$need failed"
		exit 2
	fi
fi

# ---------------------------------------------------------------- 1. cppcheck
# --enable=warning,portability: real defects, not style.
# Suppressed:
#   varFuncNullUB      svlog's lg_say(..., NULL) sentinel: NULL is
#                      ((void *)0) on glibc and musl, and va_arg reads it
#                      as const char * (void * and char * share a
#                      representation), so it is well defined here.
#   missingIncludeSystem  cppcheck does not need the libc headers.
if wanted cppcheck; then
	section "cppcheck"
	if cppcheck --std=c11 -D_GNU_SOURCE -D__linux__ -D__x86_64__ \
		--enable=warning,portability --inline-suppr --quiet \
		--suppress=varFuncNullUB --suppress=missingIncludeSystem \
		--template='{file}:{line}: {severity}: {message} [{id}]' \
		--error-exitcode=1 $SRCS >"$W/cppcheck.out" 2>&1; then
		say "no findings"
		result cppcheck ok "no findings"
	else
		cat "$W/cppcheck.out"
		n=$(grep -c '^[a-z]*\.c:[0-9]*:' "$W/cppcheck.out")
		result cppcheck FAIL "$n finding(s)"
	fi
fi

# ---------------------------------------------------------------- 2. clang-tidy
# Checks: bugprone-*, cert-*, clang-analyzer-*, except:
#   bugprone-easily-swappable-parameters   style: adjacent same-type params
#   bugprone-narrowing-conversions         -Wconversion already covers it;
#                                          flags deliberate char/int casts
#   bugprone-implicit-widening-of-multiplication-result
#                                          constant sizes like 64 * 1024
#   bugprone-branch-clone                  style: if/else with equal bodies
#   bugprone-suspicious-string-compare     `!strcmp(a, b)` is the idiom here
#   clang-analyzer-security.insecureAPI.DeprecatedOrUnsafeBufferHandling
#   clang-analyzer-security.insecureAPI.strcpy
#                                          want C11 Annex K (memcpy_s...),
#                                          which neither glibc nor musl has;
#                                          lengths are checked by hand and
#                                          by ASan and the fuzzers
#   clang-analyzer-security.insecureAPI.vfork, clang-analyzer-unix.Vfork
#                                          vfork is deliberate (no copy of
#                                          init's memory); the children only
#                                          make syscalls before exec or
#                                          _exit: reviewed by hand
# Known false positives (file, check, source line; matched on the text of
# the line, so they survive edits elsewhere) are in TIDY_KNOWN below; each
# was read and found wrong. Anything else fails the step.
TIDY_CHECKS='-*,bugprone-*,cert-*,clang-analyzer-*,-bugprone-easily-swappable-parameters,-bugprone-narrowing-conversions,-bugprone-implicit-widening-of-multiplication-result,-bugprone-branch-clone,-bugprone-suspicious-string-compare,-clang-analyzer-security.insecureAPI.DeprecatedOrUnsafeBufferHandling,-clang-analyzer-security.insecureAPI.strcpy,-clang-analyzer-security.insecureAPI.vfork,-clang-analyzer-unix.Vfork'
TIDY_KNOWN='
# va_start() is right above; clang 14 loses it in the for loop
svlog.c|clang-analyzer-valist.Uninitialized|for (const char *s = a; s; s = va_arg(ap, const char *)) {
# lg_finish() passes ts = NULL only while S.inl is set: lg_take() then
# never puts a timestamp; the path shown needs S.skip and S.inl together
# with a non-empty rest after the newline, which "\n" cannot have
svlog.c|clang-analyzer-core.NonNullParamChecker|const char *q = memchr(p, '"'\\n'"', n);
svlog.c|clang-analyzer-core.NonNullParamChecker|memcpy(S.buf + S.len, p, c);
# say() builds a line with an explicit length, never a C string
init.c|bugprone-not-null-terminated-result|memcpy(line + len, ": ", 2), len += 2;
# join(): the NUL is copied with the file part just below
init.c|bugprone-not-null-terminated-result|memcpy(buf, dir, a);
'
if wanted tidy; then
	section "clang-tidy"
	printf '%s\n' $SRCS | xargs -P 2 -I{} sh -c \
		'clang-tidy --quiet -checks="$1" "$2" -- -std=c11 -D_GNU_SOURCE >"$3/tidy.$2.out" 2>&1' \
		sh "$TIDY_CHECKS" {} "$W"
	cat "$W"/tidy.*.out | grep -E '^[^ ]+\.c:[0-9]+:[0-9]+: (warning|error):' | sort -u >"$W/tidy.all"
	: >"$W/tidy.new"
	nknown=0
	while IFS= read -r w; do
		file=${w%%:*}; file=${file##*/}
		rest=${w#*:}; line=${rest%%:*}
		check=$(printf '%s\n' "$w" | sed -n 's/.*\[\([^]]*\)\]$/\1/p')
		text=$(sed -n "${line}p" "$file" | sed 's/^[[:space:]]*//; s/[[:space:]]*$//')
		if printf '%s\n' "$TIDY_KNOWN" | grep -qxF "$file|$check|$text"; then
			nknown=$((nknown + 1))
		else
			printf '%s\n    %s\n' "$w" "$text" >>"$W/tidy.new"
		fi
	done <"$W/tidy.all"
	if [ -s "$W/tidy.new" ]; then
		cat "$W/tidy.new"
		n=$(grep -c '^[^ ]' "$W/tidy.new")
		result clang-tidy FAIL "$n finding(s) ($nknown known false positives ignored)"
	else
		say "no findings ($nknown known false positives ignored)"
		result clang-tidy ok "no findings ($nknown known false positives ignored)"
	fi
fi

# ---------------------------------------------------------------- 3. ASan + UBSan
# The bats suites find the binary as $ROOT/init; ROOT is the repo of the
# test files. So the suites run in a copy of the repo (sources, tests,
# scripts) whose ./init is the sanitizer build. Every sanitizer report of
# any process (init, svctl, svlog, as services too) goes to a file in
# $W/san; any such file, or a failed test, fails the step.
if wanted asan && [ -n "$CHECK_SUITES" ]; then
	section "ASan + UBSan: bats suites: $CHECK_SUITES"
	if [ ! -x init-asan ] || [ -n "$(find $SRCS init.h -newer init-asan 2>/dev/null)" ]; then
		make -s asan || { result asan FAIL "make asan failed"; }
	fi
	if [ -x init-asan ]; then
		R=$W/repo
		mkdir -p "$R"
		cp -a Makefile $SRCS init.h scripts test "$R"/ 2>/dev/null
		[ -d man ] && cp -a man "$R"/
		cp init-asan "$R/init"
		ln -sf init "$R/svctl"
		ln -sf init "$R/svlog"
		mkdir -p "$W/san"
		chmod 1777 "$W/san"  # tests run some svctl as nobody
		files=
		for s in $CHECK_SUITES; do files="$files test/$s.bats"; done
		# abort_on_error=0: a report must not kill init mid-test more than
		# it has to; halt_on_error stays at its default (ASan stops, UBSan
		# goes on) and every report lands in $W/san either way
		(
			cd "$R" &&
			ASAN_OPTIONS="log_path=$W/san/asan:detect_leaks=1:abort_on_error=0" \
			UBSAN_OPTIONS="log_path=$W/san/ubsan:print_stacktrace=1" \
			timeout -s KILL 600 scripts/runtests.sh $files
		) >"$W/asan-tests.out" 2>&1
		rc=$?
		grep -E '^not ok|passed, .* failed' "$W/asan-tests.out"
		nrep=$(find "$W/san" -type f | wc -l)
		if [ "$nrep" -gt 0 ]; then
			for f in "$W"/san/*; do
				say "---- $f"
				grep -E 'ERROR|runtime error|SUMMARY|^ +#[0-9]+ ' "$f" | head -30
			done
		fi
		line=$(grep -E 'passed, .* failed' "$W/asan-tests.out" | tail -1)
		if [ "$rc" -ne 0 ] || [ "$nrep" -gt 0 ]; then
			# each failed test with what it printed
			[ "$rc" -eq 0 ] || awk '/^not ok/ { p = 1; print; next }
				/^(ok|not ok) / { p = 0 } p && /^#/ { print }' "$W/asan-tests.out" | head -120
			result asan FAIL "${line:-suites did not finish (exit $rc)}; $nrep sanitizer report(s)"
		else
			result asan ok "$line; no sanitizer reports"
		fi
	fi
fi

# ---------------------------------------------------------------- 4. valgrind
# A debug build (glibc, -O1 -g) in $W/vg. init runs nested under valgrind
# inside a PID namespace; svctl and svlog run under valgrind too. Fails on
# any memcheck error, a definite leak, an fd svlog leaves open at exit, or
# a change in init's open fds between two equal states (services up, then
# restarted, downed, removed and added back).

if wanted valgrind; then
	section "valgrind"
	V=$W/vg
	mkdir -p "$V"
	# shellcheck disable=SC2086
	if cc -g -O1 -std=c11 -D_GNU_SOURCE -o "$V/init" $SRCS; then
		ln -sf init "$V/svctl"
		ln -sf init "$V/svlog"
		# in a PID namespace: whatever is left dies with it
		# (killing unshare kills the namespace, so the timeout ends a hang)
		timeout -s KILL 300 unshare --pid --fork --mount-proc --kill-child \
			"$ROOT/scripts/check.sh" --valgrind-scenario "$V" >"$V/scenario.out" 2>&1
		src=$?
		cat "$V/scenario.out"
		bad=
		for f in "$V"/logs/vg.*; do
			[ -e "$f" ] || continue
			who=${f##*/vg.}
			# memcheck errors and definite leaks
			if grep -qE '^==[0-9]+== +(Invalid|Conditional|Use of uninit|Syscall param|Mismatched|Source and destination|Argument|.*definitely lost)' "$f"; then
				bad="$bad $who"
				say "---- $f"; head -60 "$f"
				continue
			fi
			# fds svlog leaves open at exit (not those inherited): it
			# closes all it opened (init exits with RUNDIR's fds open,
			# svctl with its inotify fd: both harmless at exit)
			case $who in svlog.*) ;; *) continue ;; esac
			if awk '/Open (file|AF_UNIX socket|pipe)/ { fd = $0; next }
			        fd != "" { if ($0 !~ /inherited from parent/) { print fd; n++ } fd = "" }
			        END { exit n > 0 }' "$f" >"$f.fds"; then :; else
				bad="$bad $who(fd)"
				say "---- $f: fds open at exit"; cat "$f.fds"
			fi
		done
		nlog=0
		for f in "$V"/logs/vg.*; do
			case $f in *.fds|*'*') ;; *) nlog=$((nlog + 1)) ;; esac
		done
		if [ "$src" -ne 0 ] || [ -n "$bad" ]; then
			msg=
			[ "$src" -eq 0 ] || msg="the scenario failed (see above)"
			[ -z "$bad" ] || msg="${msg:+$msg; }valgrind found problems in:$bad"
			result valgrind FAIL "$msg"
		else
			result valgrind ok "$nlog processes under valgrind, no errors, no leaks"
		fi
	else
		result valgrind FAIL "debug build failed"
	fi
fi

# ---------------------------------------------------------------- 5. fuzzers
if wanted fuzz && [ "$FUZZ_SECS" != 0 ]; then
	section "libFuzzer: ${FUZZ_SECS}s each"
	mkdir -p "$W/extra/status"
	[ ! -f "$W/vg/status.bin" ] || cp "$W/vg/status.bin" "$W/extra/status/real"
	if test/fuzz/run.sh -t "$FUZZ_SECS" -o "$W/fuzz" -c "$W/extra" >"$W/fuzz.out" 2>&1; then
		cat "$W/fuzz.out"
		result fuzz ok "$(grep -c ': ok' "$W/fuzz.out") fuzzers, ${FUZZ_SECS}s each, nothing found"
	else
		cat "$W/fuzz.out"
		# keep the crash inputs where they can be replayed
		mkdir -p "$ROOT/build/fuzz-crashes"
		cp -r "$W"/fuzz/crash/* "$ROOT/build/fuzz-crashes/" 2>/dev/null
		result fuzz FAIL "found:$(sed -n 's/^fuzz \([a-z]*\): FOUND.*/ \1/p; s/^fuzz \([a-z]*\): BUILD FAILED.*/ \1(build)/p' "$W/fuzz.out" | tr -d '\n') (inputs copied to build/fuzz-crashes/)"
	fi
fi

# ---------------------------------------------------------------- summary
section "summary ($(( $(date +%s) - t_start ))s)"
cat "$SUMMARY"
if grep -q ' FAIL ' "$SUMMARY"; then
	say "check: FAILED"
	exit 1
fi
say "check: all clean"
exit 0
