# helpers.bash: shared helpers for every bats file of this project.
#
# Usage: `load helpers` at the top of a .bats file. This defines setup() and
# teardown(); a file that needs its own must call sv_setup / sv_teardown
# from them.
#
# Run a file with `scripts/runtests.sh test/FILE.bats`: the runner puts the
# suite in its own PID + mount namespace, so ./init runs "nested" (not PID 1)
# and the pids svctl prints are valid for kill and /proc here.
#
# Per-test variables (set by sv_setup):
#   ROOT      repo root; every test runs there
#   BIN       the directory holding the init, svctl and svlog under test:
#             $SVTEST_BIN if set (a cross build, qemu-user wrappers, a
#             sanitizer build), else ROOT. Tests run "$BIN/init", never ./init.
#   T         fresh temp dir (mode 0755, so user nobody can traverse it)
#   SVDIR     $T/sv    the service directory given to init (symlinks)
#   SVS       $T/svcs  where mksvc creates the real service dirs
#   RUN       $T/run   RUNDIR given to init (init creates it)
#   INIT_OUT  $T/init.out  init's stdout+stderr (and its services' output
#             when they have no logger)
#   INIT_PID  pid of the init started by start_init
#   INIT_RC   exit status of init, set by stop_init / wait_init_exit
#
# Every process started through init carries SVTEST_T=$T in its
# environment; teardown kills exactly those (by pid, found via /proc), plus
# the members of their sessions/process groups and any pid given to
# track_pid. Nothing is ever killed by name.
#
# Functions (details above each):
#   sv ARGS...            $BIN/svctl -r $RUN ARGS...
#   mksvc [-n] [-D] NAME BODY   service with run = "#!/bin/sh\nBODY"
#   svfile NAME PATH [CONTENT]  write a file inside a service dir
#   mklog NAME BODY       log/run of service NAME
#   enable NAME / disable NAME  add / remove the symlink in $SVDIR
#   start_init [ARGS...]  start init in the background, wait until it answers
#   stop_init [SECS]      SIGTERM, wait, SIGKILL; INIT_RC = exit status
#   wait_init_exit SECS   wait until init exits by itself; INIT_RC
#   wait_for SECS CMD...  poll CMD every 20 ms until it succeeds
#   wait_state NAME STATE [SECS]
#   status_line NAME, state NAME, svpid NAME, svfield NAME KEY, logpid NAME
#   alive PID, wait_gone PID [SECS], track_pid PID
#   now_ms, note MSG, as_nobody CMD..., init_lines REGEX, count_lines FILE
#   json_check PYCODE     run python3 code on JSON from stdin (skip if none)

bats_require_minimum_version 1.5.0

ROOT=${SVTEST_ROOT:-$(cd "$BATS_TEST_DIRNAME/.." && pwd)}
BIN=${SVTEST_BIN:-$ROOT}

# --- setup / teardown -------------------------------------------------------

setup() { sv_setup; }
teardown() { sv_teardown; }

sv_setup() {
	cd "$ROOT" || return 1
	if [ ! -x "$BIN/init" ] || [ ! -e "$BIN/svctl" ] || [ ! -e "$BIN/svlog" ]; then
		echo "build missing: run 'make' first ($BIN/init, svctl, svlog)" >&2
		return 1
	fi
	T=$(mktemp -d /tmp/svtest.XXXXXX)
	chmod 0755 "$T"
	SVDIR=$T/sv
	SVS=$T/svcs
	RUN=$T/run
	INIT_OUT=$T/init.out
	INIT_PID=
	INIT_RC=
	TRACKED=()
	mkdir -p "$SVDIR" "$SVS"
	: >"$INIT_OUT"
}

sv_teardown() {
	local p
	[ -n "${T:-}" ] || return 0
	cd "$ROOT" || true
	if [ -n "${INIT_PID:-}" ] && alive "$INIT_PID"; then
		stop_init 5 || true
	fi
	for p in "${TRACKED[@]}"; do
		kill -KILL "$p" 2>/dev/null || true
	done
	kill_ours
	unmount_under "$T"
	if [ -n "${BATS_TEST_COMPLETED:-}" ] || [ -z "${SVTEST_KEEP:-}" ]; then
		rm -rf "$T"
	else
		echo "# kept $T" >&3
	fi
	T=
}

# kill_ours: SIGKILL every live process that has SVTEST_T=$T in its
# environment, and every member of their sessions and process groups.
# Repeats until none is left (2 s deadline).
kill_ours() {
	local deadline=$(( $(now_ms) + 2000 )) pids
	while :; do
		pids=$(our_pids)
		[ -n "$pids" ] || return 0
		# shellcheck disable=SC2086
		kill -KILL $pids 2>/dev/null || true
		if [ "$(now_ms)" -gt "$deadline" ]; then
			echo "teardown: still alive: $pids" >&2
			return 0
		fi
		sleep 0.02
	done
}

# our_pids: the live (non-zombie) pids that belong to this test: those with
# SVTEST_T=$T in their environment, plus every member of their sessions and
# process groups (except the session and group of bats itself, which init
# shares since it is started from the test shell without job control).
our_pids() {
	local d p st f
	local mine_pgid mine_sid
	local -A groups=() seen=()
	local -a found=()
	read -r st </proc/$$/stat || return 0
	set -- ${st##*) }
	mine_pgid=$3 mine_sid=$4
	for d in /proc/[0-9]*; do
		p=${d#/proc/}
		[ "$p" != "$$" ] && [ "$p" != "$BASHPID" ] && [ "$p" != 1 ] || continue
		grep -qzxF "SVTEST_T=$T" "$d/environ" 2>/dev/null || continue
		read -r st 2>/dev/null <"$d/stat" || continue
		set -- ${st##*) }
		[ "$1" != Z ] || continue
		found+=("$p")
		seen[$p]=1
		for f in "$3" "$4"; do
			[ "$f" = "$mine_pgid" ] || [ "$f" = "$mine_sid" ] || groups[$f]=1
		done
	done
	if [ ${#groups[@]} -gt 0 ]; then
		for d in /proc/[0-9]*; do
			p=${d#/proc/}
			[ -z "${seen[$p]:-}" ] || continue
			[ "$p" != "$$" ] && [ "$p" != "$BASHPID" ] && [ "$p" != 1 ] || continue
			read -r st 2>/dev/null <"$d/stat" || continue
			set -- ${st##*) }
			[ "$1" != Z ] || continue
			[ "$4" != "$mine_sid" ] || continue
			if [ -n "${groups[$3]:-}" ] || [ -n "${groups[$4]:-}" ]; then
				found+=("$p")
			fi
		done
	fi
	echo "${found[*]}"
}

# unmount_under DIR: undo the mounts a test made below DIR (deepest first).
unmount_under() {
	local m
	for m in $(awk -v d="$1" '$5 == d || index($5, d "/") == 1 { print $5 }' \
		/proc/self/mountinfo | sort -r); do
		umount -l "$m" 2>/dev/null || true
	done
}

# --- small tools ------------------------------------------------------------

# now_ms: wall clock in milliseconds (no fork).
now_ms() {
	local t=${EPOCHREALTIME/./}
	echo $(( t / 1000 ))
}

# note MSG: print a line into the TAP output (for timings).
note() { echo "# $*" >&3; }

# track_pid PID: kill PID at teardown (for processes a test starts itself).
track_pid() { TRACKED+=("$@"); }

# alive PID: true if PID exists and is not a zombie.
alive() {
	local st
	[[ $1 =~ ^[0-9]+$ ]] || return 1
	read -r st 2>/dev/null <"/proc/$1/stat" || return 1
	st=${st##*) }
	[ "${st%% *}" != Z ]
}

# wait_gone PID [SECS]: wait until PID is dead (default 3 s).
wait_gone() { wait_for "${2:-3}" eval "! alive $1"; }

# wait_for SECS CMD...: run CMD every 20 ms until it succeeds; fail after
# SECS seconds (decimals allowed) and print the last output of CMD.
wait_for() {
	local secs=$1 out rc deadline
	shift
	deadline=$(( $(now_ms) + ${secs%.*} * 1000 ))
	case $secs in *.*) local f=${secs#*.}000; deadline=$(( deadline + 10#${f:0:3} )) ;; esac
	while :; do
		if out=$("$@" 2>&1); then
			return 0
		else
			rc=$?
		fi
		if [ "$(now_ms)" -ge "$deadline" ]; then
			echo "wait_for: timed out after ${secs}s: $*" >&2
			echo "  last exit status: $rc, last output:" >&2
			printf '%s\n' "$out" | head -20 | sed 's/^/    /' >&2
			if [ -n "${RUN:-}" ] && [ -p "$RUN/control" ]; then
				echo "  svctl status:" >&2
				timeout 2 "$BIN/svctl" -r "$RUN" status 2>&1 | head -20 | sed 's/^/    /' >&2
			fi
			return 1
		fi
		sleep 0.02
	done
}

# count_lines FILE: number of lines in FILE (0 if missing).
count_lines() {
	if [ -e "$1" ]; then wc -l <"$1"; else echo 0; fi
}

# as_nobody CMD...: run CMD as user nobody (uid 65534, no groups).
as_nobody() {
	setpriv --reuid=nobody --regid=nogroup --clear-groups "$@"
}

# --- services ---------------------------------------------------------------

# sv ARGS...: svctl on this test's RUNDIR.
sv() { "$BIN/svctl" -r "$RUN" "$@"; }

# mksvc [-n] [-D] NAME BODY: create $SVS/NAME/run as "#!/bin/sh" + BODY
# (mode 0755) and enable it with a symlink $SVDIR/NAME -> $SVS/NAME.
#   -n  do not enable (no symlink)
#   -D  also create the `down` file
mksvc() {
	local link=1 down=
	while :; do
		case $1 in
		-n) link= ; shift ;;
		-D) down=1; shift ;;
		*) break ;;
		esac
	done
	local name=$1 body=$2 dir=$SVS/$1
	mkdir -p "$dir"
	printf '#!/bin/sh\n%s\n' "$body" >"$dir/run"
	chmod 0755 "$dir/run"
	[ -z "$down" ] || : >"$dir/down"
	[ -z "$link" ] || enable "$name"
}

# svfile NAME PATH [CONTENT]: write CONTENT (plus a newline; empty file if
# CONTENT is omitted) to $SVS/NAME/PATH, creating directories.
svfile() {
	local f=$SVS/$1/$2
	mkdir -p "$(dirname "$f")"
	if [ $# -ge 3 ]; then printf '%s\n' "$3" >"$f"; else : >"$f"; fi
}

# mkexec NAME PATH BODY: an executable "#!/bin/sh" script in a service dir
# (e.g. `mkexec web finish 'echo "$1 $2" >> ...'`).
mkexec() {
	local f=$SVS/$1/$2
	mkdir -p "$(dirname "$f")"
	printf '#!/bin/sh\n%s\n' "$3" >"$f"
	chmod 0755 "$f"
}

# mklog NAME BODY: log/run of service NAME.
mklog() { mkexec "$1" log/run "$2"; }

enable() { ln -sfn "$SVS/$1" "$SVDIR/$1"; }
disable() { rm -f "$SVDIR/$1"; }

# --- init -------------------------------------------------------------------

# run_clean [VAR=VALUE...] CMD...: exec env VAR=VALUE... CMD with only fds
# 0-2 open (bats and the shell leave others open: e.g. fd 3 must be closed
# for a background process, or bats waits for it). Meant for `run_clean ... &`.
run_clean() {
	local fd
	for fd in /proc/$BASHPID/fd/*; do
		fd=${fd##*/}
		if [ "$fd" -gt 2 ]; then eval "exec $fd>&-" 2>/dev/null || true; fi
	done
	exec env "$@"
}

# start_init [ARGS...]: run $BIN/init -d $SVDIR -r $RUN ARGS in the background
# (output to $INIT_OUT, env SVTEST_T=$T, only fds 0-2 open), then wait up to 15 s (an ASan build on a loaded machine is slow to start) until `svctl status` answers
# (exit 0 or 3). Fails at once if init dies.
start_init() {
	run_clean SVTEST_T="$T" "$BIN/init" -d "$SVDIR" -r "$RUN" "$@" >"$INIT_OUT" 2>&1 </dev/null &
	INIT_PID=$!
	track_pid "$INIT_PID"
	local deadline=$(( $(now_ms) + 15000 )) rc
	while :; do
		rc=0
		sv status >/dev/null 2>&1 || rc=$?
		case $rc in 0|3) return 0 ;; esac
		if ! alive "$INIT_PID"; then
			echo "start_init: init died; its output:" >&2
			sed 's/^/    /' "$INIT_OUT" >&2
			return 1
		fi
		if [ "$(now_ms)" -ge "$deadline" ]; then
			echo "start_init: svctl status never answered (last exit $rc)" >&2
			sed 's/^/    /' "$INIT_OUT" >&2
			return 1
		fi
		sleep 0.02
	done
}

# stop_init [SECS]: SIGTERM to init, wait up to SECS (default 5) for it to
# exit, then SIGKILL. Sets INIT_RC (exit status, 128+N if killed).
# Returns 1 if SIGKILL was needed.
stop_init() {
	local secs=${1:-5} ok=0
	[ -n "${INIT_PID:-}" ] || return 0
	kill -TERM "$INIT_PID" 2>/dev/null || true
	if ! wait_for "$secs" eval "! alive $INIT_PID" 2>/dev/null; then
		echo "stop_init: init ($INIT_PID) ignored SIGTERM for ${secs}s; SIGKILL" >&2
		kill -KILL "$INIT_PID" 2>/dev/null || true
		ok=1
	fi
	INIT_RC=0
	wait "$INIT_PID" 2>/dev/null || INIT_RC=$?
	INIT_PID=
	return $ok
}

# wait_init_exit SECS: wait until init exits on its own; sets INIT_RC.
wait_init_exit() {
	wait_for "$1" eval "! alive $INIT_PID" || return 1
	INIT_RC=0
	wait "$INIT_PID" 2>/dev/null || INIT_RC=$?
	INIT_PID=
}

# init_lines REGEX: lines of init's output matching the extended REGEX.
init_lines() { grep -E -- "$1" "$INIT_OUT" || true; }

# --- status -----------------------------------------------------------------

# status_line NAME: the `svctl status NAME` line (empty if none).
status_line() { sv status "$1" 2>/dev/null || true; }

# state NAME: the STATE field of NAME.
state() {
	local l
	l=$(status_line "$1")
	set -- $l
	echo "${2:-}"
}

# svfield NAME KEY: value of KEY=... in the status line (empty if absent).
svfield() {
	local w
	for w in $(status_line "$1"); do
		case $w in "$2="*) echo "${w#*=}"; return 0 ;; esac
	done
	return 0
}

svpid() { svfield "$1" pid; }
logpid() { svfield "$1" log:pid; }

# is_state NAME STATE: true if NAME is in STATE.
is_state() { [ "$(state "$1")" = "$2" ]; }

# wait_state NAME STATE [SECS]: wait (default 3 s) until NAME is in STATE;
# for `up` also waits for `ready`.
wait_state() {
	if [ "$2" = up ]; then
		wait_for "${3:-3}" is_up_ready "$1"
	else
		wait_for "${3:-3}" is_state "$1" "$2"
	fi
}

is_up_ready() {
	local l
	l=$(status_line "$1")
	[[ $l == "$1 up "*" ready"* ]] || { echo "$l"; return 1; }
}

# --- JSON -------------------------------------------------------------------

# json_check PYCODE: run PYCODE with `d` = the JSON read from stdin (python3);
# PYCODE uses assert. Skips the test if python3 is missing.
json_check() {
	command -v python3 >/dev/null 2>&1 || skip "python3 not installed"
	python3 -c "import json,sys
d = json.load(sys.stdin)
$1"
}

# --- /proc ------------------------------------------------------------------

# pstat PID N: field N of /proc/PID/stat counted after the comm field
# (1 state, 2 ppid, 3 pgrp, 4 session).
pstat() {
	local st
	read -r st 2>/dev/null <"/proc/$1/stat" || return 1
	set -- "$2" ${st##*) }
	shift "$1"
	echo "$1"
}

# pstatus PID KEY: value of "KEY:" in /proc/PID/status (tabs kept).
pstatus() { sed -n "s/^$2:[[:space:]]*//p" "/proc/$1/status"; }

# fds PID: the open fd numbers of PID, sorted, space separated.
fds() { ls "/proc/$1/fd" | sort -n | tr '\n' ' ' | sed 's/ $//'; }

# gaps_ms FILE: differences in ms between consecutive lines of FILE, each
# a `date +%s%N` timestamp; space separated.
gaps_ms() {
	awk 'NR > 1 { printf "%s%d", (NR > 2 ? " " : ""), ($1 - prev) / 1000000 }
	     { prev = $1 } END { print "" }' "$1"
}

# not CMD...: succeed only if CMD fails. Use it instead of `! CMD`, which
# bash's errexit ignores (a `! grep` in the middle of a test never fails it).
not() { ! "$@"; }
