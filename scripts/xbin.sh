#!/bin/sh
# Print a directory holding init, svctl and svlog of the cross build
# build/ARCH that this machine can run, for the test suites (SVTEST_BIN):
#
#   scripts/xbin.sh ARCH [DIR]   (after make ARCH=ARCH)
#
# build/ARCH itself if the kernel runs it (i386 on an x86_64 kernel with
# 32-bit support), else build/ARCH/qemu: one wrapper per name that runs
# the binary under Debian's qemu-user (qemu-ARCH-static) with -0 NAME, so
# the multi-call binary sees its name. The wrappers exec qemu through a
# link named like the program, so /proc/PID/comm reads init, svctl or
# svlog as it does natively. Nothing is registered with binfmt_misc.
# With DIR: the wrappers and a copy of init go there instead (the tests
# run some as user nobody, who may not reach into the checkout).
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
arch=${1:?usage: xbin.sh ARCH [DIR]}
dir=$top/build/$arch
[ -x "$dir/init" ] || { echo "xbin.sh: no $dir/init (make ARCH=$arch)" >&2; exit 1; }
# (SVTEST_QEMU=1: qemu even if the kernel could run it)
rc=0
"$dir/init" svctl -h >/dev/null 2>&1 || rc=$?
if [ "$rc" -ne 126 ] && [ "$rc" -ne 127 ] && [ "${SVTEST_QEMU:-}" != 1 ]; then
	echo "$dir"
	exit 0
fi
case $arch in
armhf) q=qemu-arm-static ;;
*) q=qemu-$arch-static ;;
esac
qemu=$(command -v "$q") || { echo "xbin.sh: no $q (apt-get install qemu-user-static)" >&2; exit 1; }
w=${2:-$dir/qemu}
mkdir -p "$w/.q"
if [ -n "${2:-}" ]; then
	mkdir -p "$w/bin"
	cp "$dir/init" "$w/bin/init"
	chmod 755 "$w" "$w/.q" "$w/bin"
	dir=$w/bin
fi
for name in init svctl svlog; do
	ln -sfn "$qemu" "$w/.q/$name"
	printf '#!/bin/sh\nexec %s -0 %s %s "$@"\n' "$w/.q/$name" "$name" "$dir/init" >"$w/$name.tmp"
	chmod 755 "$w/$name.tmp"
	mv "$w/$name.tmp" "$w/$name"
done
echo "$w"
