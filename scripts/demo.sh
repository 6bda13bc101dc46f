#!/bin/sh
# make demo: run init (not as PID 1, no root needed) on the example services
# that work on any host, in the foreground. Ctrl-C stops everything.
#   hello   prints a line a second into its log (svlog)
#   ready   becomes ready after 2 s (notification-fd); prints to this terminal
#   crashy  crashes every few seconds: watch the restart backoff
# Everything lives in a temporary directory, removed on exit.
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
[ -x "$top/init" ] || make -C "$top" >/dev/null || exit 1
tmp=$(mktemp -d "${TMPDIR:-/tmp}/svdemo.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT
# Ctrl-C goes to init and to this script: let init stop its services and
# exit, then clean up (the EXIT trap).
trap : INT TERM HUP

mkdir "$tmp/svc" "$tmp/log"
for s in hello ready crashy; do
	ln -s "$top/svc/$s" "$tmp/svc/$s"
done
# the services' log/run scripts write to $SVLOGDIR/NAME; svlog is on PATH
SVLOGDIR=$tmp/log
PATH=$top:$PATH
export SVLOGDIR PATH

cat <<EOT
Demo: init supervising $(cd "$tmp/svc" && echo *) (service dir $tmp/svc)
In another terminal, try:
  cd $top; export SVRUN=$tmp/run
  ./svctl status
  ./svctl restart ready; ./svctl -w 5 status ready   (ready takes 2 s)
  ./svctl down crashy; ./svctl up crashy             (watch restarts=, backoff)
  ./svctl kill hello; ./svctl -w 3 status hello      (back, new pid)
  tail -f $tmp/log/hello/current $tmp/log/crashy/current
  ln -s $top/svc/NAME $tmp/svc/   (enable a service; rm the link to disable)
Press Ctrl-C here to stop everything.

EOT
"$top/init" -d "$tmp/svc" -r "$tmp/run"
rc=$?
echo "demo: init exited with status $rc"
exit "$rc"
