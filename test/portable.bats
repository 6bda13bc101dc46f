#!/usr/bin/env bats
# What differs between architectures: 32-bit user and group ids (the old
# setresuid/setgroups of 32-bit ARM and i386 take 16 bits), the kernel's
# signal set (128 bits on MIPS) and its struct sigaction. Run against a
# cross build with SVTEST_BIN (scripts/runtests.sh does, for each one).
load helpers

# start_init_ids: start_init in a private mount namespace whose
# /etc/passwd and /etc/group are $T/passwd and $T/group (init reads them
# directly). unshare without --fork execs in place: INIT_PID is init.
start_init_ids() {
	run_clean SVTEST_T="$T" unshare --mount --propagation private sh -c '
		mount --bind "$1/passwd" /etc/passwd && mount --bind "$1/group" /etc/group &&
		shift && exec "$@"' sh "$T" "$BIN/init" -d "$SVDIR" -r "$RUN" \
		>"$INIT_OUT" 2>&1 </dev/null &
	INIT_PID=$!
	track_pid "$INIT_PID"
	wait_for 5 sv status
}

# ids PID KEY: the ids of "KEY:" in /proc/PID/status, one space apart, sorted
ids() { pstatus "$1" "$2" | tr -s ' \t' '\n' | sed '/^$/d' | sort -n | tr '\n' ' '; }

@test "user: ids above 65535 and groups above 65535, as in /etc/passwd and /etc/group" {
	printf 'root:x:0:0::/root:/bin/sh\nbig:x:100000:100001::/:/bin/sh\n' >"$T/passwd"
	printf 'root:x:0:\nusers:x:100:big\nhigh:x:70000:root,big\nbigp:x:100001:\nhigher:x:131072:big\n' >"$T/group"
	mksvc a "exec sleep 1000"
	svfile a user big
	start_init_ids
	wait_state a up 5
	pid=$(svpid a)
	[ "$(ids "$pid" Uid)" = "100000 100000 100000 100000 " ]
	[ "$(ids "$pid" Gid)" = "100001 100001 100001 100001 " ]
	[ "$(ids "$pid" Groups)" = "100 70000 100001 131072 " ]
}

@test "user: uid 65535 and 131071 (all ones in 16 bits) are not root" {
	mksvc a "exec sleep 1000"
	svfile a user 65535:100
	mksvc b "exec sleep 1000"
	svfile b user 131071:70000
	start_init
	wait_state a up 5
	wait_state b up 5
	pa=$(svpid a) pb=$(svpid b)
	[ "$(ids "$pa" Uid)" = "65535 65535 65535 65535 " ]
	[ "$(ids "$pa" Gid)" = "100 100 100 100 " ]
	[ "$(ids "$pa" Groups)" = "100 " ]
	[ "$(ids "$pb" Uid)" = "131071 131071 131071 131071 " ]
	[ "$(ids "$pb" Gid)" = "70000 70000 70000 70000 " ]
	[ "$(ids "$pb" Groups)" = "70000 " ]
}

@test "signals: a service starts with no signal blocked or ignored, though init was given ignored ones" {
	mksvc a "exec sleep 1000"
	mkexec a finish "grep -E '^Sig(Blk|Ign)' /proc/\$\$/status > $T/fin.sig"
	# init inherits HUP, INT, QUIT, USR1, PIPE, TERM ignored: it must reset them
	(trap '' HUP INT QUIT USR1 PIPE TERM; exec "$BIN/init" -d "$SVDIR" -r "$RUN" \
		>"$INIT_OUT" 2>&1 </dev/null 3>&- 4>&- 5>&- 6>&- 7>&- 8>&- 9>&-) &
	INIT_PID=$!
	track_pid "$INIT_PID"
	wait_state a up 5
	pid=$(svpid a)
	[[ $(pstatus "$pid" SigBlk) =~ ^0+$ ]]
	[[ $(pstatus "$pid" SigIgn) =~ ^0+$ ]]
	sv down a
	wait_for 5 test -s "$T/fin.sig"
	[ "$(grep -c ':[[:space:]]*0*$' "$T/fin.sig")" = 2 ]
	# and init itself still stops on SIGTERM (it was ignored when it started)
	stop_init 5
}
