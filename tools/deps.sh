#!/bin/sh
# Installs the Debian packages pvhv needs to build, run and test (assembler,
# compiler, QEMU, GRUB ISO tools, Bochs, pytest, matplotlib, cmocka, spin,
# GNU parallel for bench job lists).
# Only missing packages are installed; when nothing is missing it prints
# nothing and exits 0. Needs apt (Debian or derivative) and root or sudo.
set -eu

PACKAGES="nasm gcc make binutils qemu-system-x86 grub-pc-bin grub-common
xorriso mtools bochs bochsbios vgabios bochs-term python3-pytest
python3-matplotlib libcmocka-dev spin parallel"

die() {
	echo "deps.sh: error: $*" >&2
	exit 1
}

installed() {
	# dpkg-query prints "install ok installed" only for a fully installed
	# package; removed-but-configured or unknown packages count as missing.
	status=$(dpkg-query -W -f='${Status}' "$1" 2>/dev/null) || return 1
	[ "$status" = "install ok installed" ]
}

if ! command -v dpkg-query >/dev/null 2>&1 || ! command -v apt-get >/dev/null 2>&1; then
	# shellcheck disable=SC2086 # print the list as words
	die "this is not a Debian/apt system; install these packages (or your" \
	    "distribution's equivalents) by hand:" $PACKAGES
fi

missing=""
for pkg in $PACKAGES; do
	installed "$pkg" || missing="$missing $pkg"
done
[ -z "$missing" ] && exit 0

if [ "$(id -u)" -eq 0 ]; then
	as_root=""
elif command -v sudo >/dev/null 2>&1; then
	as_root="sudo"
else
	die "not root and no sudo; as root run: apt-get update &&" \
	    "apt-get install -y$missing"
fi

echo "deps.sh: installing:$missing"
$as_root apt-get update
# shellcheck disable=SC2086 # $missing is a word list on purpose
$as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y $missing
