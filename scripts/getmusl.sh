#!/bin/sh
# Debian's musl for a cross build, unpacked into build/sysroot/ARCH (the
# host's root is not touched), and a gcc specs file that makes the cross
# gcc link against it, like Debian's musl-gcc does natively:
#
#   scripts/getmusl.sh ARCH     ARCH: aarch64 armhf riscv64 i386 mipsel
#   -> build/sysroot/ARCH/musl.specs  (use: TRIPLET-gcc -specs FILE)
#
# aarch64 armhf i386 mipsel: Debian's musl-dev of that architecture.
# riscv64: bookworm has no musl-dev:riscv64, so Debian's musl source (the
# same 1.2.3 with Debian's patches) is built with riscv64-linux-gnu-gcc.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
die() { echo "getmusl.sh: $*" >&2; exit 1; }
arch=${1:-}
case $arch in
aarch64) deb=arm64  musl=aarch64-linux-musl ;;
armhf)   deb=armhf  musl=arm-linux-musleabihf ;;
i386)    deb=i386   musl=i386-linux-musl ;;
mipsel)  deb=mipsel musl=mipsel-linux-musl ;;
riscv64) deb=""     musl=riscv64-linux-musl ;;
*) die "usage: getmusl.sh aarch64|armhf|riscv64|i386|mipsel" ;;
esac
root=$top/build/sysroot/$arch
specs=$root/musl.specs
[ -s "$specs" ] && exit 0

tmp=$top/build/sysroot/$arch.tmp
rm -rf "$tmp"
mkdir -p "$tmp"
if [ -n "$deb" ]; then
	"$top/scripts/xapt.sh" fetch "$deb" "$tmp" musl-dev
else
	# riscv64: Debian's source, built for riscv64 (a minute or so)
	src=$top/build/sysroot/musl-src
	[ -d "$src/src" ] || "$top/scripts/xapt.sh" source musl "$src"
	b=$tmp/build
	mkdir -p "$b"
	echo "getmusl.sh: building musl for riscv64 from Debian's source" >&2
	(cd "$b" && "$src/configure" --target=riscv64-linux-gnu --prefix=/usr \
		--includedir="/usr/include/$musl" --libdir="/usr/lib/$musl" \
		--syslibdir=/lib --disable-shared CROSS_COMPILE=riscv64-linux-gnu- \
		CC=riscv64-linux-gnu-gcc >configure.log 2>&1 &&
		make -j2 >make.log 2>&1 &&
		make DESTDIR="$tmp" install-headers install-libs >install.log 2>&1) || {
		tail -20 "$b"/*.log >&2
		die "building musl for riscv64 failed"
	}
	rm -rf "$b"
fi
inc=$tmp/usr/include/$musl lib=$tmp/usr/lib/$musl
[ -e "$lib/libc.a" ] && [ -e "$inc/stdio.h" ] || die "no musl in $tmp"
rm -rf "$root"
mv "$tmp" "$root"
inc=$root/usr/include/$musl lib=$root/usr/lib/$musl
# musl-gcc.specs of Debian, pointing into the sysroot (static only)
cat >"$specs.tmp" <<EOF
%rename cpp_options old_cpp_options

*cpp_options:
-nostdinc -isystem $inc -isystem include%s %(old_cpp_options)

*cc1:
%(cc1_cpu) -nostdinc -isystem $inc -isystem include%s

*link_libgcc:
-L$lib -L .%s

*libgcc:
libgcc.a%s %:if-exists(libgcc_eh.a%s)

*startfile:
$lib/crt1.o $lib/crti.o crtbegin.o%s

*endfile:
crtend.o%s $lib/crtn.o

*link:
-nostdlib %{static:-static}

EOF
mv "$specs.tmp" "$specs"
echo "getmusl.sh: musl for $arch in build/sysroot/$arch" >&2
