#!/usr/bin/env bats
# needs: start order, waiting, pulled-up needs, stop order, cycles.

load helpers

# a service that records its start and its TERM in $T/log; it exits
# DELAY seconds after TERM
mklogged() {
	local name=$1 delay=${2:-0}
	mksvc "$name" "echo start $name >> $T/log
trap 'echo term $name >> $T/log; sleep $delay; exit 0' TERM
while :; do sleep 0.05; done"
}

@test "waiting until every need is up and ready; needs= lists the ones not yet" {
	mksvc db "exec sleep 1000"
	svfile db notification-fd 3
	mksvc web "exec sleep 1000"
	svfile web needs "db
	cache"
	mksvc cache "exec sleep 1000"
	svfile cache notification-fd 4
	start_init
	wait_state web waiting
	[[ $(status_line web) == "web waiting restarts=0 needs=db,cache" ]]
	run sv -j status web
	json_check "assert d[0]['state'] == 'waiting' and d[0]['needs'] == ['db','cache'], d" <<<"$output"
	# db ready (the newline written through its own fd 3): waits for cache alone
	sh -c "echo > /proc/$(svpid db)/fd/3"
	wait_state db up
	wait_for 3 eval '[[ $(status_line web) == "web waiting restarts=0 needs=cache" ]]'
	sh -c "echo > /proc/$(svpid cache)/fd/4"
	wait_state web up
	[[ $(status_line web) != *needs=* ]]
}

@test "needs are pulled up, also over their down file, recursively" {
	mksvc -D db "exec sleep 1000"
	mksvc -D app "exec sleep 1000"
	svfile app needs db
	mksvc web "exec sleep 1000"
	svfile web needs app
	start_init
	wait_state web up 5
	is_up_ready app
	is_up_ready db
	# wanted down later, then up again through web
	sv -w 5 down db
	is_state web down
	is_state app down
	run sv -w 5 up web
	[ "$status" = 0 ]
	is_up_ready db
}

@test "an absent need is waited for and started when it is linked in" {
	mksvc web "exec sleep 1000"
	svfile web needs db
	mksvc -n -D db "exec sleep 1000"
	start_init
	wait_state web waiting
	[[ $(status_line web) == *" needs=db" ]]
	enable db
	wait_state web up 5
	is_up_ready db
}

@test "a need that crashes and restarts does not stop its dependents" {
	mksvc db "exec sleep 1000"
	mksvc web "exec sleep 1000"
	svfile web needs db
	start_init
	wait_state web up
	wp=$(svpid web) dp=$(svpid db)
	kill -KILL "$dp"
	wait_for 3 eval '[ "$(svfield db restarts)" = 1 ]'
	wait_state db up
	[ "$(svpid web)" = "$wp" ]
	is_state web up
}

@test "svctl down: dependents stop first (recursively, wanted down), then the need" {
	mklogged db
	mklogged app 0.3
	svfile app needs db
	mklogged web 0.3
	svfile web needs app
	mklogged other
	start_init
	wait_state web up 5
	wait_for 3 eval '[ "$(grep -c start "$T/log")" = 4 ]'
	run sv -w 10 down db
	[ "$status" = 0 ]
	is_state app down
	is_state web down
	is_state other up
	[[ $(status_line web) == "web down "* ]]
	grep term "$T/log" >"$T/order"
	cat "$T/order"
	[ "$(cat "$T/order")" = "term web
term app
term db" ]
	# wanted down: they stay down
	sleep 0.3
	is_state web down
}

@test "shutdown: dependents stop before what they need" {
	mklogged db
	mklogged app 0.3
	svfile app needs db
	mklogged web 0.3
	svfile web needs app
	start_init
	wait_state web up 5
	stop_init 20
	grep term "$T/log" >"$T/order"
	cat "$T/order"
	[ "$(cat "$T/order")" = "term web
term app
term db" ]
	[ "$INIT_RC" = 0 ]
}

@test "shutdown stays bounded: a dependent ignoring TERM is killed at its timeout-kill" {
	mksvc db "exec sleep 1000"
	mksvc web "trap '' TERM; while :; do sleep 0.05; done"
	svfile web needs db
	svfile web timeout-kill 500
	start_init
	wait_state web up
	t0=$(now_ms)
	stop_init 20
	[ "$INIT_RC" = 0 ]
	dt=$(( $(now_ms) - t0 ))
	note "shutdown took $dt ms"
	[ "$dt" -lt 8000 ]
}

@test "a cycle is fatal, one line naming it; the others run" {
	mksvc a "exec sleep 1000"
	svfile a needs b
	mksvc b "exec sleep 1000"
	svfile b needs a
	mksvc self "exec sleep 1000"
	svfile self needs self
	mksvc free "exec sleep 1000"
	start_init
	wait_state a fatal
	wait_state b fatal
	wait_state self fatal
	wait_state free up
	[[ $(status_line a) =~ error=\"needs:\ cycle\ (a\ -\>\ b\ -\>\ a|b\ -\>\ a\ -\>\ b)\"$ ]]
	[[ $(status_line b) =~ error=\"needs:\ cycle\ (a\ -\>\ b\ -\>\ a|b\ -\>\ a\ -\>\ b)\"$ ]]
	[[ $(status_line self) == *' error="needs: cycle self -> self"' ]]
	[ "$(init_lines 'needs: cycle (a -> b -> a|b -> a -> b)$' | wc -l)" = 1 ]
	[ "$(init_lines '^init: self: needs: cycle self -> self$' | wc -l)" = 1 ]
}

@test "a long cycle's error is cut at 80 bytes" {
	x=$(printf 'x%.0s' $(seq 60)) y=$(printf 'y%.0s' $(seq 60))
	mksvc "$x" "exec sleep 1000"
	svfile "$x" needs "$y"
	mksvc "$y" "exec sleep 1000"
	svfile "$y" needs "$x"
	start_init
	wait_state "$x" fatal
	e=$(status_line "$x" | sed 's/.* error="//; s/"$//')
	echo "$e"
	[ "${#e}" = 80 ]
	[[ $e == "needs: cycle "* ]]
}

@test "invalid needs: a bad name is a config error" {
	mksvc a "exec sleep 1000"
	svfile a needs "ok ../x"
	start_init
	wait_state a fatal
	[[ $(status_line a) == *" error=\"needs: invalid value '../x'\"" ]]
}

@test "no needs file: no waiting state, no needs field" {
	mksvc a "exec sleep 1000"
	start_init
	wait_state a up
	[[ $(status_line a) != *needs* ]]
	run sv -j status a
	json_check "assert d[0]['needs'] == [], d" <<<"$output"
}
