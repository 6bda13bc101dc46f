#!/usr/bin/env bats
# cgroup v2: every service and every logger in a cgroup of its own, so that
# nothing a service started survives its stop; limits; the path without
# cgroups. Each test makes its own cgroup CG below the one the suite runs
# in, starts init alone in it, and removes it at the end: nothing else of
# the host's cgroups is touched. (Limits that need controllers, and OOM,
# are tested in qemu.bats: a hybrid host hands no controllers to v2.)

load helpers

setup() {
	sv_setup
	CG=
	local m own
	for m in /sys/fs/cgroup/unified /sys/fs/cgroup; do
		[ "$(stat -fc %T "$m" 2>/dev/null)" = cgroup2fs ] && break
		m=
	done
	[ -n "$m" ] || skip "no cgroup v2 mounted"
	own=$(sed -n 's/^0:://p' /proc/self/cgroup)
	CG=$m${own%/}/svtest.$$.$BATS_TEST_NUMBER
	mkdir "$CG" 2>/dev/null || skip "cannot make a cgroup below $m$own"
}

teardown() {
	sv_teardown
	[ -n "$CG" ] && [ -d "$CG" ] || return 0
	echo 1 >"$CG/cgroup.kill" 2>/dev/null || true
	local d deadline=$(( $(now_ms) + 3000 ))
	while [ -d "$CG" ] && [ "$(now_ms)" -lt "$deadline" ]; do
		for d in $(find "$CG" -depth -type d); do rmdir "$d" 2>/dev/null || true; done
		sleep 0.02
	done
	[ ! -d "$CG" ] || echo "teardown: $CG left behind" >&2
}

# Start init alone in $CG (as start_init does otherwise).
cg_start_init() {
	printf '#!/bin/sh\necho $$ >%s/cgroup.procs || exit 99\nexec "$@"\n' "$CG" >"$T/in-cg"
	chmod +x "$T/in-cg"
	run_clean SVTEST_T="$T" "$T/in-cg" "$ROOT/init" -d "$SVDIR" -r "$RUN" "$@" \
		>"$INIT_OUT" 2>&1 </dev/null &
	INIT_PID=$!
	track_pid "$INIT_PID"
	wait_for 5 sv status >/dev/null || { cat "$INIT_OUT" >&2; return 1; }
	run ! grep cgroups "$INIT_OUT"
}

# A daemon that leaves its session and process group and ignores TERM:
# invisible to a supervisor that signals process groups.
daemon_body() {
	echo "setsid sh -c 'trap \"\" TERM; echo \$\$ >$T/daemon.\$PPID; while :; do sleep 1; done' </dev/null >/dev/null 2>&1 &"
}

@test "a double-forked setsid daemon dies with its service (down)" {
	mksvc d "$(daemon_body)
exec sleep 1000"
	svfile d timeout-kill 300
	cg_start_init
	wait_for 5 eval 'ls $T/daemon.* >/dev/null 2>&1'
	local dpid
	dpid=$(cat $T/daemon.*)
	alive "$dpid"
	track_pid "$dpid"
	sv -w 5 down d
	[ "$(state d)" = down ]
	! alive "$dpid"
	[ -z "$(cat "$CG/svc/d/cgroup.procs")" ]
}

@test "what a run left in its cgroup is stopped before the restart" {
	mksvc d "$(daemon_body)
sleep 0.2; exit 1"
	svfile d timeout-kill 300
	cg_start_init
	wait_for 5 eval '[ $(ls $T/daemon.* 2>/dev/null | wc -l) -ge 2 ]'
	local first second
	first=$(cat "$(ls -tr $T/daemon.* | head -1)")
	second=$(cat "$(ls -tr $T/daemon.* | sed -n 2p)")
	track_pid "$first" "$second"
	# the second run started only once the first daemon was gone
	! alive "$first"
	sv down d
	wait_state d down 5
}

@test "each service and each logger has a cgroup of its own; a forgotten one is removed" {
	mksvc web 'exec sleep 1000'
	mklog web 'exec cat >/dev/null'
	mksvc db 'exec sleep 1000'
	cg_start_init
	wait_state web up 5
	wait_state db up 5
	grep -qx "0::.*/svc/web" /proc/"$(svpid web)"/cgroup
	grep -qx "0::.*/log/web" /proc/"$(logpid web)"/cgroup
	grep -qx "0::.*/svc/db" /proc/"$(svpid db)"/cgroup
	grep -qx "0::.*/init" /proc/"$INIT_PID"/cgroup
	[ -d "$CG/svc/db" ]
	# usage, read by svctl from the cgroup: cpu= always, mem= with the
	# memory controller; svctl top -n 1 lists the running services
	[[ "$(status_line web)" == *" cpu="[0-9]*.[0-9]* ]]
	run sv top -n 1
	[ "$status" = 0 ]
	[ "${lines[0]}" = "NAME PID MEM CPU" ]
	[[ "$output" == *"web $(svpid web) "* ]]
	[[ "$output" == *"db $(svpid db) "* ]]
	disable db
	wait_for 5 eval '[ ! -d "$CG/svc/db" ]'
	[ -d "$CG/svc/web" ]
	[ -d "$CG/log/web" ]
	stop_init
	[ "$INIT_RC" = 0 ]
	[ ! -d "$CG/svc" ] && [ ! -d "$CG/log" ]
}

@test "in a shared cgroup: nothing said, nothing taken over, services run" {
	rmdir "$CG"
	CGSHARED=$CG CG=
	mksvc a 'exec sleep 1000'
	# a shared cgroup (the suite's): never taken over, nothing said
	start_init
	wait_state a up 15
	[ -z "$(init_lines 'cgroups')" ]
	[ ! -d "$(dirname "$CGSHARED")/svc" ]
	stop_init
}

@test "without cgroup v2: one line at start, services run" {
	rmdir "$CG"
	CG=
	mksvc a 'exec sleep 1000'
	run_clean SVTEST_T="$T" unshare --mount sh -c 'umount -l /sys/fs/cgroup/unified 2>/dev/null
		umount -l /sys/fs/cgroup 2>/dev/null; exec "$@"' sh \
		"$BIN/init" -d "$SVDIR" -r "$RUN" >"$INIT_OUT" 2>&1 </dev/null &
	INIT_PID=$!
	track_pid "$INIT_PID"
	wait_state a up 30 || { echo "init's output:"; sed 's/^/    /' "$INIT_OUT"; false; }
	[ "$(init_lines 'cgroups')" = "init: cgroups: not used: no cgroup v2" ]
}

@test "limits: rlimits for run and finish; memory-max without a controller is one warning" {
	mksvc a "echo run \$(ulimit -n) \$(ulimit -Hn) \$(ulimit -c) \$(ulimit -Hc) >$T/run.out; exit 0"
	svfile a limits "nofile 100:200
core 0
stack unlimited"
	svfile a restart never
	svfile a memory-max 64M
	svfile a pids-max 50
	mkexec a finish "echo finish \$(ulimit -n) \$(ulimit -Hn) >$T/finish.out"
	start_init
	wait_for 5 test -s "$T/finish.out"
	[ "$(cat "$T/run.out")" = "run 100 200 0 0" ]
	[ "$(cat "$T/finish.out")" = "finish 100 200" ]
	[ "$(init_lines 'a: memory-max')" = "init: a: memory-max: not applied: no cgroup" ]
	[ "$(init_lines 'a: pids-max')" = "init: a: pids-max: not applied: no cgroup" ]
}

@test "memory-max in a cgroup without the controller: one warning a start, the service runs" {
	! grep -qwE 'memory|cpu' "$(dirname "$CG")/cgroup.controllers" || skip "controllers available here"
	mksvc m 'exec sleep 1000'
	svfile m memory-max 1G
	svfile m cpu-weight 200
	cg_start_init
	wait_state m up 5
	[ "$(init_lines 'm: memory-max')" = "init: m: memory-max: not applied: controller not available" ]
	[ "$(init_lines 'm: cpu-weight')" = "init: m: cpu-weight: not applied: controller not available" ]
	sv -w 5 restart m
	[ "$(init_lines 'm: memory-max' | wc -l)" = 2 ]
}

@test "limits, memory-max, pids-max, cpu-weight: a bad value is fatal, one line" {
	mksvc a 'exec sleep 1000'
	svfile a limits "nofile 200:100"
	mksvc b 'exec sleep 1000'
	svfile b limits "files 10"
	mksvc c 'exec sleep 1000'
	svfile c memory-max 12X
	mksvc d 'exec sleep 1000'
	svfile d cpu-weight 0
	mksvc e 'exec sleep 1000'
	svfile e limits "nofile lots"
	mksvc ok 'exec sleep 1000'
	svfile ok limits "nofile 64"
	svfile ok memory-max 1G
	start_init
	for s in a b c d e; do wait_state $s fatal 5; done
	wait_state ok up 5
	[ "$(init_lines '^init: a: ')" = "init: a: limits: invalid value '200:100'" ]
	[ "$(init_lines '^init: b: ')" = "init: b: limits: invalid value 'files'" ]
	[ "$(init_lines '^init: c: ')" = "init: c: memory-max: invalid value '12X'" ]
	[ "$(init_lines '^init: d: ')" = "init: d: cpu-weight: invalid value '0'" ]
	[ "$(init_lines '^init: e: ')" = "init: e: limits: invalid value 'lots'" ]
}
