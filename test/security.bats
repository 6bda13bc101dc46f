#!/usr/bin/env bats
# Hostile input: names, files and dirs made by someone else must never
# crash, block or turn init (or svctl, svlog) against root.

load helpers

# long NAME-LENGTH: a name of that many bytes
long() { head -c "$1" /dev/zero | tr '\0' "${2:-A}"; }

@test "long names in SVDIR, at the first scan and by inotify, are skipped" {
	mksvc a "exec sleep 1000"
	: >"$SVDIR/$(long 200)"
	ln -s "$SVS/a" "$SVDIR/$(long 150 B)"
	mkdir "$SVDIR/$(long 255 C)"
	start_init
	wait_state a up
	: >"$SVDIR/$(long 255 D)"
	ln -s "$SVS/a" "$SVDIR/$(long 140 E)"
	mkdir "$SVDIR/$(long 97 F)"
	mksvc b "exec sleep 1000"
	wait_state b up
	wait_for 2 eval "grep -q 'FFFF.*invalid service name' $INIT_OUT"
	sv rescan
	sv -w 2 up a
	alive "$INIT_PID"
	run sv status
	[ "${#lines[@]}" = 2 ]
}
