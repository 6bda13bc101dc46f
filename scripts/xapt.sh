#!/bin/sh
# apt-get for other architectures and for Debian sources, on a private
# configuration in build/apt/: the host's dpkg state is never touched (no
# dpkg --add-architecture, nothing installed), only its apt sources and
# keys are read.
#
#   scripts/xapt.sh fetch ARCH DIR PKG...  download PKG (Debian's name for
#                                          ARCH: arm64, armhf, i386, mipsel)
#                                          and unpack each into DIR
#   scripts/xapt.sh depends ARCH PKG       the packages PKG depends on
#   scripts/xapt.sh source PKG DIR         Debian's source of PKG, unpacked
#                                          with its patches into DIR
#
# The package lists of an architecture are fetched once into
# build/apt/ARCH (delete it to fetch them again).
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
die() { echo "xapt.sh: $*" >&2; exit 1; }
for c in apt-get dpkg-deb; do
	command -v $c >/dev/null 2>&1 || die "needs $c (a Debian system)"
done

# cfg NAME ARCH TYPES: a private apt configuration in build/apt/NAME with
# the host's sources for TYPES ("deb" or "deb-src"); sets $apt to the
# apt-get command that uses it.
cfg() {
	c=$top/build/apt/$1
	opts="-o Dir::Etc::SourceList=$c/sources.list
		-o Dir::Etc::SourceParts=$c/sources.list.d -o Dir::State::Lists=$c/lists
		-o Dir::Cache=$c/cache -o Dir::Etc::Preferences=$c/none/p
		-o Dir::Etc::PreferencesParts=$c/none -o APT::Architecture=$2
		-o APT::Architectures=$2 -o Acquire::Languages=none
		-o APT::Sandbox::User=root -o Debug::NoLocking=1"
	apt="apt-get -q $opts"
	[ -e "$c/updated" ] && return 0
	mkdir -p "$c/none" "$c/sources.list.d" "$c/lists/partial" "$c/cache/archives/partial"
	# one-line sources: "deb URI SUITE..." becomes "$3 URI SUITE..."
	cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null |
		sed -n "s/^[[:space:]]*deb[[:space:]]/$3 /p" >"$c/sources.list"
	# deb822 sources: the Types of each stanza that has deb become $3
	for f in /etc/apt/sources.list.d/*.sources; do
		[ -e "$f" ] || continue
		sed "s/^Types:.*\<deb\>.*/Types: $3/" "$f" >"$c/sources.list.d/${f##*/}"
	done
	echo "xapt.sh: fetching the package lists for $2 ($3) into build/apt/$1" >&2
	# shellcheck disable=SC2086
	$apt update >"$c/update.log" 2>&1 || { cat "$c/update.log" >&2; die "apt-get update failed"; }
	: >"$c/updated"
}

case ${1:-} in
fetch)
	[ $# -ge 4 ] || die "usage: xapt.sh fetch ARCH DIR PKG..."
	arch=$2 dir=$3
	shift 3
	cfg "$arch" "$arch" deb
	dl=$(mktemp -d "$top/build/apt/dl.XXXXXX")
	trap 'rm -rf "$dl"' EXIT
	# shellcheck disable=SC2086
	(cd "$dl" && $apt download "$@" >&2) || die "apt-get download $* ($arch) failed"
	mkdir -p "$dir"
	for deb in "$dl"/*.deb; do
		dpkg-deb -x "$deb" "$dir" || die "cannot unpack $deb"
	done
	;;
depends)
	[ $# -eq 3 ] || die "usage: xapt.sh depends ARCH PKG"
	cfg "$2" "$2" deb
	# shellcheck disable=SC2086
	apt-cache $opts depends "$3" | sed -n 's/^ *Depends: *//p'
	;;
source)
	[ $# -eq 3 ] || die "usage: xapt.sh source PKG DIR"
	command -v dpkg-source >/dev/null 2>&1 || die "needs dpkg-source (apt-get install dpkg-dev)"
	cfg src "$(dpkg --print-architecture)" deb-src
	dl=$(mktemp -d "$top/build/apt/dl.XXXXXX")
	trap 'rm -rf "$dl"' EXIT
	# shellcheck disable=SC2086
	(cd "$dl" && $apt source --download-only "$2" >&2) || die "apt-get source $2 failed"
	dpkg-source --no-check -x "$dl"/*.dsc "$dl/src" >&2 || die "cannot unpack the source of $2"
	rm -rf "$3"
	mv "$dl/src" "$3"
	;;
*)
	die "usage: xapt.sh fetch ARCH DIR PKG... | source PKG DIR"
	;;
esac
