#!/usr/bin/env bats
# Reaping: the child a SIGCHLD names is reaped first, by pid; a sweep
# catches the ones whose SIGCHLD coalesced with it.

load helpers

# zombies whose parent is PID
zombies_of() {
	local d st
	for d in /proc/[0-9]*; do
		read -r st 2>/dev/null <"$d/stat" || continue
		st=${st##*) }
		set -- $st
		[ "$1" = Z ] && [ "$2" = "$ZPARENT" ] && echo "${d#/proc/}"
	done
	return 0
}

@test "many children ending at once: every one reaped and restarted, no zombie left" {
	local i pids=() p
	for i in $(seq 1 20); do mksvc "k$i" "exec sleep 1000"; done
	start_init
	for i in $(seq 1 20); do wait_state "k$i" up; pids+=("$(svpid "k$i")"); done
	# one kill(2) each, back to back: their SIGCHLDs coalesce
	kill -KILL "${pids[@]}"
	for i in $(seq 1 20); do
		wait_for 5 eval "[ \"\$(svpid k$i)\" != ${pids[$((i - 1))]} ] && is_state k$i up"
	done
	for p in "${pids[@]}"; do wait_gone "$p"; done
	ZPARENT=$INIT_PID
	[ -z "$(zombies_of)" ]
	run sv status
	[[ $output != *"signal=KILL"*"backoff"* ]]
}

@test "orphans handed to init with its own children dying: all reaped" {
	mksvc s "exec sleep 1000"
	# a service that leaves 10 orphans behind (init is their subreaper), then ends
	mksvc o "for i in 1 2 3 4 5 6 7 8 9 10; do sleep 0.3 & done; exit 0"
	svfile o restart never
	start_init
	wait_state s up
	wait_for 5 is_state o down
	kill -KILL "$(svpid s)"
	wait_state s up
	# left: init's child s, nothing else (the orphans ended and were reaped)
	wait_for 5 eval '[ "$(pgrep -P '"$INIT_PID"' | tr "\n" " ")" = "$(svpid s) " ]'
	ZPARENT=$INIT_PID
	[ -z "$(zombies_of)" ]
}
