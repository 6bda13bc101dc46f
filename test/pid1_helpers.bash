# pid1_helpers.bash: private helpers of test/pid1.bats (SPEC section 5).
# shellcheck disable=SC2086,SC2034,SC2016  # word splitting of /proc/PID/stat is wanted
# Loaded after helpers.bash (which gives setup/teardown, mksvc, sv,
# wait_for, alive, ...).
#
# Two ways to start init:
#   nested     ./init started from the test (not PID 1: the suite already
#              runs in its own PID namespace under another PID 1)
#   container  unshare --pid --fork --mount-proc --kill-child ./init: init
#              is PID 1 of a fresh PID namespace
#
# After p1_spawn / p1_start:
#   P1_PID      init's pid as seen here (send signals to it)
#   P1_WAITPID  the child of this shell to wait for (init, or unshare)
#   P1_RC       set by p1_wait_exit: exit status of init (unshare passes
#               init's status through)
# P1_WRAP (array) is put before ./init (after unshare in container mode),
# e.g. (sh -c '...; exec "$@"' sh) or a signal wrapper.

P1_WRAP=()

# p1_ns_init USPID: print the pid of the init that unshare USPID started,
# once it has exec'd init and blocked its signals; fail before that.
p1_ns_init() {
	local parent=$1 d st p
	for d in /proc/[0-9]*; do
		read -r st 2>/dev/null <"$d/stat" || continue
		set -- ${st##*) }
		[ "$2" = "$parent" ] || continue
		p=${d#/proc/}
		if p1_started "$p"; then
			echo "$p"
			return 0
		fi
	done
	return 1
}

# p1_started PID: PID runs init (comm "init") and has blocked signals
# (init blocks all signals first thing).
p1_started() {
	local comm key val
	read -r comm 2>/dev/null <"/proc/$1/comm" || return 1
	[ "$comm" = init ] || return 1
	while read -r key val; do
		[ "$key" != SigBlk: ] || { [ "$val" != 0000000000000000 ]; return; }
	done 2>/dev/null <"/proc/$1/status"
	return 1
}

# p1_spawn MODE [ARGS...]: start init -d $SVDIR -r $RUN ARGS in MODE
# (nested|container) in the background, stdout and stderr to $INIT_OUT
# (truncated; a FIFO is opened read-write so that opening never blocks);
# return as soon as init runs and has blocked its signals. Fds 3-9 of the
# test are not passed on.
p1_spawn() {
	local mode=$1 pre=()
	shift
	case $mode in
	nested) ;;
	container) pre=(unshare --pid --fork --mount-proc --kill-child) ;;
	*) echo "p1_spawn: bad mode $mode" >&2; return 1 ;;
	esac
	if [ -p "$INIT_OUT" ]; then exec 8<>"$INIT_OUT"; else exec 8>"$INIT_OUT"; fi
	SVTEST_T=$T "${pre[@]}" "${P1_WRAP[@]}" "$BIN/init" -d "$SVDIR" -r "$RUN" "$@" \
		>&8 2>&8 </dev/null 3>&- 4>&- 5>&- 6>&- 7>&- 8>&- 9>&- &
	P1_WAITPID=$!
	exec 8>&-
	track_pid "$P1_WAITPID" # for unshare: SIGKILL to it kills the namespace
	# (init may also have run and exited already: a quick -- COMMAND)
	if [ "$mode" = nested ]; then
		P1_PID=$P1_WAITPID
		INIT_PID=$P1_PID # helpers' teardown stops it
		wait_for 5 p1_started_or_gone "$P1_PID"
	else
		wait_for 5 p1_ns_init_or_gone "$P1_WAITPID" || return 1
		P1_PID=$(p1_ns_init "$P1_WAITPID") || P1_PID=
		[ -z "$P1_PID" ] || track_pid "$P1_PID"
	fi
}

p1_started_or_gone() { p1_started "$1" || ! alive "$1"; }
p1_ns_init_or_gone() { p1_ns_init "$1" >/dev/null || ! alive "$1"; }

# p1_start MODE [ARGS...]: p1_spawn, then wait until svctl status answers.
p1_start() {
	p1_spawn "$@" || return 1
	wait_for 15 p1_answers || {
		echo "p1_start: init output:" >&2
		sed 's/^/    /' "$INIT_OUT" >&2
		return 1
	}
}

p1_answers() {
	local rc=0
	alive "$P1_PID" || { echo "init died"; return 2; }
	sv status >/dev/null 2>&1 || rc=$?
	[ "$rc" = 0 ] || [ "$rc" = 3 ]
}

# p1_wait_exit SECS: wait until init exits; P1_RC = its exit status.
p1_wait_exit() {
	wait_for "$1" eval "! alive $P1_WAITPID" || return 1
	P1_RC=0
	wait "$P1_WAITPID" 2>/dev/null || P1_RC=$?
	[ "$P1_WAITPID" != "${INIT_PID:-}" ] || INIT_PID=
}

# p1_state PID: the state letter of PID (R S D T Z ...), empty if gone.
p1_state() {
	local st
	read -r st 2>/dev/null <"/proc/$1/stat" || return 0
	st=${st##*) }
	echo "${st%% *}"
}

# p1_ppid PID: the parent pid of PID.
p1_ppid() { pstat "$1" 2; }

# p1_zombies_of PPID: how many zombies have PPID as parent.
p1_zombies_of() {
	local d st n=0
	for d in /proc/[0-9]*; do
		read -r st 2>/dev/null <"$d/stat" || continue
		set -- ${st##*) }
		[ "$1" = Z ] && [ "$2" = "${P1_ZPARENT}" ] && n=$((n + 1))
	done
	echo "$n"
}

# p1_no_zombies PPID: true when no zombie has PPID as parent.
p1_no_zombies() {
	local n
	P1_ZPARENT=$1
	n=$(p1_zombies_of)
	[ "$n" = 0 ] || { echo "$n zombies left"; return 1; }
}

# p1_lines FILE N: FILE has at least N lines.
p1_lines() { [ "$(count_lines "$1")" -ge "$2" ]; }

# p1_etc_wrap DIR: set P1_WRAP that shows the files of DIR inside /etc in a
# private mount namespace (the host's /etc is never touched). Used after
# unshare --mount-proc (container), or with its own `unshare --mount`.
p1_etc_wrap() {
	P1_WRAP=(sh -c 'mount -t overlay overlay -o "lowerdir=$1:/etc" /etc || exit 99
		d=$1; shift
		for f in "$d"/*; do [ -e "/etc/${f##*/}" ] || exit 98; done
		exec "$@"' sh "$1")
}
