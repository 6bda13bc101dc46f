#!/usr/bin/env bats
# Containers: systemd's stop signals (37 38 39, as the kernel counts them),
# the fds the main command inherits, and init under a real engine (podman
# with runc, images made with `podman import`; see the engine section).

load helpers
load pid1_helpers

# ------------------------------------------------ systemd's signals

# rt_stop MODE SIG: SIG stops every service (finish runs once) and init
# exits 0.
rt_stop() {
	mksvc a "exec sleep 1000"
	mkexec a finish "echo \"\$1 \$2\" >>'$T/a.finish'"
	p1_start "$1"
	wait_state a up
	local pa
	pa=$(svpid a)
	kill -s "$2" "$P1_PID"
	p1_wait_exit 5
	echo "rc $P1_RC, finish: $(cat "$T/a.finish" 2>/dev/null)"
	[ "$P1_RC" = 0 ]
	[ "$(cat "$T/a.finish")" = "-1 15" ]
	not alive "$pa"
}

@test "signal 37 (systemd's SIGRTMIN+3, halt) stops everything, exit 0 (nested)" {
	rt_stop nested 37
}

@test "signal 38 (SIGRTMIN+4, poweroff) stops everything, exit 0 (nested)" {
	rt_stop nested 38
}

@test "signal 39 (SIGRTMIN+5, reboot) stops everything, exit 0 (nested)" {
	rt_stop nested 39
}

@test "signal 37 stops everything, exit 0 (container)" {
	rt_stop container 37
}

@test "signal 37 with -- COMMAND: the command gets SIGTERM, init exits with its status" {
	mksvc a "exec sleep 1000"
	p1_start container -- sh -c "trap 'exit 7' TERM; : >'$T/ready'; while :; do sleep 0.05; done"
	wait_for 3 test -e "$T/ready"
	wait_state a up
	kill -s 37 "$P1_PID"
	p1_wait_exit 5
	[ "$P1_RC" = 7 ]
}

# ------------------------------------------------ inherited fds

# not_held FILE: fail if init has FILE open.
not_held() {
	local l
	l=$(ls -l "/proc/$INIT_PID/fd")
	[[ $l != *"$1"* ]] || { echo "init holds $1: $l"; return 1; }
}

@test "-- COMMAND keeps the fds init inherited; services do not get them, init closes its copies" {
	echo secret >"$T/file"
	mkfifo "$T/pipe"
	( cat "$T/pipe" >/dev/null; : >"$T/eof" ) 3>&- &
	track_pid $!
	mksvc s "exec sleep 1000"
	SVTEST_T=$T "$BIN/init" -d "$SVDIR" -r "$RUN" -- sh -c \
		"cat <&3 >'$T/cmd.out'; exec 4>&-; exec sleep 1000" \
		3<"$T/file" 4>"$T/pipe" 5>&- 6>&- 7>&- 8>&- 9>&- >"$INIT_OUT" 2>&1 </dev/null &
	INIT_PID=$!
	track_pid "$INIT_PID"
	wait_state s up
	wait_for 3 test -s "$T/cmd.out"
	[ "$(cat "$T/cmd.out")" = secret ]
	# the command closed the write end: only a copy in init or a
	# service would keep the reader from its EOF
	wait_for 3 test -e "$T/eof"
	echo "service fds: $(fds "$(svpid s)")"
	[ "$(fds "$(svpid s)")" = "0 1 2" ]
	not_held "$T/file"
}

@test "without a command, inherited fds reach no service and init closes them" {
	echo x >"$T/file"
	mksvc s "exec sleep 1000"
	SVTEST_T=$T "$BIN/init" -d "$SVDIR" -r "$RUN" 3<"$T/file" 4<"$T/file" 5>&- 6>&- 7>&- 8>&- 9>&- \
		>"$INIT_OUT" 2>&1 </dev/null &
	INIT_PID=$!
	track_pid "$INIT_PID"
	wait_state s up
	[ "$(fds "$(svpid s)")" = "0 1 2" ]
	not_held "$T/file"
}

@test "svctl -w from the main command waits for init's first status (no 'no live init')" {
	mksvc a "exec sleep 1000"
	run_init_fg -- sh -c "'$BIN/svctl' -r '$RUN' -w 5 status a && echo waited"
	echo "rc $RC: $(cat "$T/o" "$T/e")"
	[ "$RC" = 0 ]
	grep -qx waited "$T/o"
}

run_init_fg() {
	RC=0
	SVTEST_T=$T timeout -k 1 10 "$BIN/init" -d "$SVDIR" -r "$RUN" "$@" >"$T/o" 2>"$T/e" </dev/null 3>&- || RC=$?
}

# ------------------------------------------------ a real engine: podman
#
# podman 4.3 with runc, as Debian ships them, in a store of this file's
# own (POD_DIR under /var/tmp, made in setup_file, removed in
# teardown_file, so runs never share images or containers): vfs storage,
# cgroupfs, no network, a containers.conf of its own (default_ulimits = []:
# runc may not raise RLIMIT_NOFILE where these tests run). The image is a
# tar of init, busybox and two services, made with `podman import`, since
# no registry is reachable. If podman cannot run a container here, every
# engine test fails with the reason. About 30 s for these tests.

setup_file() {
	export TOOLS=$BATS_FILE_TMPDIR/pid1_tools
	POD_DIR=$(mktemp -d /var/tmp/svpod.XXXXXX)
	export POD_DIR POD_IMG=localhost/svtest:1 POD_ERR=$POD_DIR/engine-error
	printf '[containers]\ndefault_ulimits = []\n' >"$POD_DIR/containers.conf"
	local r=$POD_DIR/root a
	mkdir -p "$r"/sbin "$r"/bin "$r"/etc/svc/a "$r"/etc/svc/b "$r"/tmp "$r"/run \
		"$r"/proc "$r"/sys "$r"/dev
	cp "$ROOT/init" "$r/sbin/init"
	ln -s init "$r/sbin/svctl"
	cp "$(command -v busybox)" "$r/bin/busybox"
	for a in $("$r/bin/busybox" --list); do
		[ -e "$r/bin/$a" ] || ln -s busybox "$r/bin/$a"
	done
	printf '#!/bin/sh\nexec sleep 1000\n' >"$r/etc/svc/a/run"
	printf '#!/bin/sh\nexec sleep 1000\n' >"$r/etc/svc/b/run"
	chmod 755 "$r"/etc/svc/*/run
	tar -C "$r" -cf "$POD_DIR/root.tar" . &&
		pod import -q "$POD_DIR/root.tar" "$POD_IMG" >/dev/null 2>"$POD_ERR.import" &&
		pod run --rm --network none "$POD_IMG" /bin/true >/dev/null 2>"$POD_ERR.run" ||
		{ echo "podman cannot run a container here:"; cat "$POD_ERR".*; } >"$POD_ERR"
	rm -f "$POD_ERR".*
}

teardown_file() {
	[ -n "${POD_DIR:-}" ] || return 0
	pod rm -a -f -t 0 >/dev/null 2>&1 || true
	pod rmi -a -f >/dev/null 2>&1 || true
	unmount_under "$POD_DIR"
	rm -rf "$POD_DIR"
}

teardown() {
	if [ -n "${POD_DIR:-}" ]; then  # every container of this test, also on failure
		pod rm -a -f -t 0 >/dev/null 2>&1 || true
	fi
	sv_teardown
}

pod() {
	CONTAINERS_CONF=$POD_DIR/containers.conf podman --root "$POD_DIR/store" \
		--runroot "$POD_DIR/runroot" --tmpdir "$POD_DIR/tmp" --storage-driver vfs \
		--runtime runc --cgroup-manager cgroupfs --events-backend file "$@"
}

# engine: fail (with the reason) if podman cannot run containers here.
engine() {
	if [ -s "$POD_ERR" ]; then
		cat "$POD_ERR"
		return 1
	fi
}

# prun ARGS...: podman run -d --network none --name C ARGS; C is the name.
prun() {
	C=svt$BATS_TEST_NUMBER
	pod run -d --network none --name "$C" "$@" >/dev/null
}

in_c() { pod exec "$C" sh -c "$1"; }
exit_code() { pod inspect -f '{{.State.ExitCode}}' "$C"; }

# pod_stop: podman stop, noting how long it took; the exit code of the
# container is checked by the caller (137 would mean SIGKILL at the end
# of podman's 10 s).
pod_stop() {
	local t0
	t0=$(now_ms)
	pod stop "$C" >/dev/null
	note "podman stop took $(($(now_ms) - t0)) ms"
}

@test "podman: stop in systemd mode (/sbin/init gets SIGRTMIN+3): services stop, exit 0; exec svctl status" {
	engine
	prun "$POD_IMG" /sbin/init
	pod exec "$C" /sbin/init svctl -w 5 status
	run pod exec "$C" /sbin/init svctl status
	[[ ${lines[0]} == "a up pid="*" ready"* ]]
	[[ ${lines[1]} == "b up pid="*" ready"* ]]
	[ "$(pod inspect -f '{{.Config.StopSignal}}' "$C")" = 37 ]
	pod_stop
	[ "$(exit_code)" = 0 ]
}

@test "podman: stop with --systemd=false (SIGTERM): exit 0" {
	engine
	prun --systemd=false "$POD_IMG" /sbin/init
	pod exec "$C" /sbin/init svctl -w 5 status
	pod_stop
	[ "$(exit_code)" = 0 ]
}

@test "podman: run --rm /sbin/init -- sh -c 'exit 7' exits 7" {
	engine
	run pod run --rm --network none "$POD_IMG" /sbin/init -- sh -c 'exit 7'
	[ "$status" = 7 ]
}

@test "podman: kill -s TERM reaches a main command that traps it" {
	engine
	prun "$POD_IMG" /sbin/init -- sh -c 'trap "echo got TERM; exit 3" TERM; : >/tmp/ready; while :; do sleep 0.05; done'
	wait_for 5 in_c 'test -e /tmp/ready'
	pod kill -s TERM "$C" >/dev/null
	[ "$(pod wait "$C")" = 3 ]
	pod logs "$C" | grep -qx "got TERM"
}

@test "podman: 50 double-forked orphans are reaped, no zombie is left" {
	engine
	prun "$POD_IMG" /sbin/init -- sh -c \
		'mkfifo /tmp/hold; for i in $(seq 50); do (cat /tmp/hold >/dev/null &); done; exec sleep 1000'
	local count='n=0; for f in /proc/[0-9]*/stat; do read -r l <$f || continue
		case $l in *" (cat) "[!Z]" 1 "*) n=$((n + 1)) ;; esac; done; echo $n'
	wait_for 10 eval "[ \"\$(in_c '$count')\" = 50 ]"
	in_c 'echo x >/tmp/hold'
	wait_for 10 eval "[ \"\$(in_c '$count')\" = 0 ]"
	wait_for 5 eval "[ -z \"\$(in_c 'grep -l \"^State:.Z\" /proc/[0-9]*/status')\" ]"
}

@test "podman: --read-only root: services and a main command run" {
	engine
	run pod run --rm --network none --read-only "$POD_IMG" /sbin/init -- \
		sh -c '/sbin/init svctl -w 5 status a b && echo main ran'
	echo "$output"
	[ "$status" = 0 ]
	[[ $output == *"main ran"* ]]
}

@test "podman: --user 65534 runs a main command" {
	engine
	run pod run --rm --network none --user 65534 "$POD_IMG" /sbin/init -- sh -c 'echo "uid $(id -u)"'
	echo "$output"
	[ "$status" = 0 ]
	[[ $output == *"uid 65534"* ]]
}

@test "podman: healthcheck with svctl status: healthy when all up, unhealthy when one is fatal" {
	engine
	prun --health-cmd '/sbin/init svctl status' --health-interval disable "$POD_IMG" /sbin/init
	pod exec "$C" /sbin/init svctl -w 5 status
	pod healthcheck run "$C" 2>/dev/null
	in_c 'chmod -x /etc/svc/b/run && /sbin/init svctl restart b'
	wait_for 5 eval "in_c '/sbin/init svctl status b' | grep -q '^b fatal'"
	run pod healthcheck run "$C"
	echo "$output"
	[ "$status" != 0 ]
	[[ $output == *unhealthy* ]]
}

@test "podman: container-example: web, worker and main command up; stop exits 0" {
	engine
	local ctx=$ROOT/container-example r=$POD_DIR/example a line
	local -a change=()
	# the Containerfile's steps, done here: `podman build` with vfs takes
	# tens of seconds (the Containerfile itself builds with podman and
	# docker as its header says)
	mkdir -p "$r/sbin" "$r/bin" "$r/run" "$r/tmp" "$r/var/log"
	chmod 1777 "$r/tmp"
	cp "$ROOT/init" "$r/sbin/init"
	cp "$(command -v busybox)" "$r/sbin/busybox"
	for a in $("$r/sbin/busybox" --list); do ln -s /sbin/busybox "$r/bin/$a"; done
	for a in svctl svlog; do ln -s init "$r/sbin/$a"; done
	cp -a "$ctx/rootfs/." "$r/"
	# the image's configuration from the Containerfile itself
	while read -r line; do
		case $line in ENTRYPOINT*|CMD*|STOPSIGNAL*|EXPOSE*) change+=(--change "$line") ;; esac
	done <"$ctx/Containerfile"
	[ "${#change[@]}" = 8 ]
	tar -C "$r" -cf "$POD_DIR/example.tar" .
	pod import -q "${change[@]}" "$POD_DIR/example.tar" localhost/svexample:1 >/dev/null
	prun localhost/svexample:1
	pod exec "$C" svctl -w 10 status web worker
	wait_for 10 eval "pod logs $C 2>&1 | grep -qx 'main: services up; serving on :8080'"
	pod exec "$C" wget -qO- http://127.0.0.1:8080/ | grep -q 'supervised by init'
	[ "$(pod inspect -f '{{.Config.StopSignal}}' "$C")" = 15 ]
	pod_stop
	[ "$(exit_code)" = 0 ]
	pod logs "$C" 2>&1 | grep -qx "main: stopping"
	pod logs "$C" 2>&1 | grep -qx "worker: stopping"
}
