#!/usr/bin/env bash
# build-guest.sh - build a bootable Ephemera guest for qemu-system-x86_64 q35
# from Debian packages: OUTDIR/vmlinuz (Debian's cloud kernel) and
# OUTDIR/initrd-base.cpio.gz (busybox-static, the kernel modules the guest
# needs, ephemera-agent with its shared libraries, the tpm2-tss device TCTI,
# tpm2-tools' tpm2 for PCR extends, and an /init that starts the agent).
#
# Usage: build-guest.sh OUTDIR [--agent PATH] [--extra-bin PATH]...
#                              [--kernel-pkg NAME] [--cache DIR]
#
#   --agent PATH      the ephemera-agent binary, or a build folder holding
#                     agent/daemon/ephemera-agent (default: $EPH_BINARY_DIR,
#                     else the checkout's build/)
#   --extra-bin PATH  also copy this program (and its libraries) to /usr/bin
#   --kernel-pkg NAME Debian kernel package (default linux-image-cloud-amd64;
#                     the meta package is resolved to its versioned image)
#   --cache DIR       where the kernel .deb and its extraction are kept
#                     (default OUTDIR/cache): a second run does not download
#
# Deliberately not here: the per-VM configuration (broker URL, pin, broker
# certificate). That is a second cpio archive appended to this initrd
# (mkconfig-cpio.sh, or the VM driver writes the same bytes itself), so one
# base image serves every VM. Nothing is installed on the host: the kernel
# package is only downloaded and unpacked with dpkg -x; the host's own
# Debian libraries are copied (ldd) into the image.
#
# Host tools: apt-get, dpkg-deb, busybox-static, cpio, gzip, ldd, strip
# (binutils), tpm2-tools and libtss2-tcti-device0. A missing one names its
# Debian package; nothing is apt-get installed from here.
set -euo pipefail

prog=${0##*/}
here=$(cd -- "$(dirname -- "$0")" && pwd -P)
top=$(cd -- "$here/../.." && pwd -P)

log() { printf '%s: %s\n' "$prog" "$*" >&2; }
die() {
	printf '%s: error: %s\n' "$prog" "$*" >&2
	exit 1
}
usage() {
	echo "usage: $prog OUTDIR [--agent PATH] [--extra-bin PATH]... [--kernel-pkg NAME] [--cache DIR]" >&2
	exit 2
}
need() { command -v "$1" >/dev/null 2>&1 || die "$1 not found: apt-get install -y $2"; }
ms() { date +%s%3N; }

outdir="" agent="" kpkg=linux-image-cloud-amd64 cache=""
extra=()
while [ $# -gt 0 ]; do
	case $1 in
	--agent) [ $# -ge 2 ] || usage; agent=$2; shift 2 ;;
	--agent=*) agent=${1#*=}; shift ;;
	--extra-bin) [ $# -ge 2 ] || usage; extra+=("$2"); shift 2 ;;
	--extra-bin=*) extra+=("${1#*=}"); shift ;;
	--kernel-pkg) [ $# -ge 2 ] || usage; kpkg=$2; shift 2 ;;
	--kernel-pkg=*) kpkg=${1#*=}; shift ;;
	--cache) [ $# -ge 2 ] || usage; cache=$2; shift 2 ;;
	--cache=*) cache=${1#*=}; shift ;;
	-h | --help) usage ;;
	-*) usage ;;
	*) [ -z "$outdir" ] || usage; outdir=$1; shift ;;
	esac
done
[ -n "$outdir" ] || usage

need apt-get apt
need apt-cache apt
need dpkg-deb dpkg
need cpio cpio
need gzip gzip
need ldd libc-bin
need strip binutils
need tpm2 tpm2-tools
[ -x /bin/busybox ] || die "/bin/busybox not found: apt-get install -y busybox-static"
# The guest has no libc of busybox's own: it must be the static build.
if ldd /bin/busybox >/dev/null 2>&1; then
	die "/bin/busybox is dynamically linked: apt-get install -y busybox-static"
fi
tcti_lib=$(ls /usr/lib/x86_64-linux-gnu/libtss2-tcti-device.so.0 2>/dev/null) ||
	die "libtss2-tcti-device.so.0 not found: apt-get install -y libtss2-tcti-device0"

# --- the agent binary -------------------------------------------------------
if [ -z "$agent" ]; then
	agent=${EPH_BINARY_DIR:-$top/build}
fi
[ -d "$agent" ] && agent=$agent/agent/daemon/ephemera-agent
[ -x "$agent" ] || die "no ephemera-agent at $agent (build it, or give --agent PATH)"
for x in "${extra[@]}"; do
	[ -f "$x" ] || die "--extra-bin $x: no such file"
done

t_start=$(ms)
mkdir -p -- "$outdir"
outdir=$(cd -- "$outdir" && pwd -P)
[ -n "$cache" ] || cache=$outdir/cache
mkdir -p -- "$cache"
cache=$(cd -- "$cache" && pwd -P)

# --- the kernel: download + dpkg -x, never installed ------------------------
# A meta package (linux-image-cloud-amd64) depends on exactly one versioned
# image (linux-image-6.1.0-N-cloud-amd64); that one holds the kernel.
resolve_kpkg() {
	local p=$1 dep
	case $p in
	linux-image-[0-9]*) echo "$p"; return 0 ;;
	esac
	dep=$(apt-cache depends "$p" 2>/dev/null |
		sed -n 's/^[[:space:]]*Depends:[[:space:]]*\(linux-image-[0-9][^[:space:]]*\).*/\1/p' | head -n 1)
	[ -n "$dep" ] || return 1
	echo "$dep"
}

t0=$(ms)
kimg=$(resolve_kpkg "$kpkg") || {
	# Offline with a stale apt index: fall back to what the cache holds.
	kimg=$(ls "$cache"/linux-image-[0-9]*_amd64.deb 2>/dev/null | sed 's|.*/||; s|_.*||' | sort -V | tail -n 1)
	[ -n "$kimg" ] || die "cannot resolve $kpkg to a versioned linux-image package (apt-get update?)"
	log "apt cannot resolve $kpkg; using $kimg from the cache"
}
kver_pkg=$(apt-cache policy "$kimg" 2>/dev/null | sed -n 's/^[[:space:]]*Candidate:[[:space:]]*//p')
deb=""
if [ -n "$kver_pkg" ] && [ "$kver_pkg" != "(none)" ]; then
	# apt-get download names the file with ':' escaped as %3a.
	deb=$cache/${kimg}_${kver_pkg//:/%3a}_amd64.deb
fi
if [ -z "$deb" ] || [ ! -s "$deb" ]; then
	cached=$(ls "$cache/${kimg}"_*_amd64.deb 2>/dev/null | sort -V | tail -n 1 || true)
	if [ -n "$deb" ]; then
		log "downloading $kimg $kver_pkg"
		(cd -- "$cache" && apt-get download -q -o APT::Sandbox::User=root "$kimg=$kver_pkg" >&2) ||
			die "apt-get download $kimg=$kver_pkg failed"
	elif [ -n "$cached" ]; then
		deb=$cached
	else
		die "no candidate version of $kimg (apt-get update?)"
	fi
fi
[ -s "$deb" ] || deb=$(ls "$cache/${kimg}"_*_amd64.deb 2>/dev/null | sort -V | tail -n 1)
[ -s "$deb" ] || die "the kernel package $kimg was not downloaded"
kx=$cache/${deb##*/}.x
if [ ! -f "$kx/.done" ]; then
	rm -rf -- "$kx"
	mkdir -p -- "$kx"
	dpkg-deb -x "$deb" "$kx" || die "dpkg-deb -x $deb failed"
	touch "$kx/.done"
fi
vmlinuz=$(ls "$kx"/boot/vmlinuz-* 2>/dev/null | head -n 1)
[ -n "$vmlinuz" ] || die "$deb has no /boot/vmlinuz-*"
kver=${vmlinuz##*/vmlinuz-}
kconfig=$kx/boot/config-$kver
moddir=$kx/lib/modules/$kver
[ -d "$moddir" ] || die "$deb has no /lib/modules/$kver"
log "kernel $kver from ${deb##*/} ($(($(ms) - t0)) ms)"

# --- the initrd tree ----------------------------------------------------------
stage=$outdir/.stage
rm -rf -- "$stage"
# Debian 12's merged /usr: bin, sbin, lib, lib64 point into usr/, so paths
# ldd reports (/lib/x86_64-linux-gnu/..., /lib64/ld-linux-x86-64.so.2) and
# those of Debian's binaries (/usr/bin/...) are all valid in the guest.
mkdir -p "$stage"/usr/{bin,sbin,lib/x86_64-linux-gnu,lib64,share/udhcpc} \
	"$stage"/{dev,proc,sys,run,tmp,root,mnt,etc/ephemera,var/lib,var/log}
ln -s usr/bin "$stage/bin"
ln -s usr/sbin "$stage/sbin"
ln -s usr/lib "$stage/lib"
ln -s usr/lib64 "$stage/lib64"
chmod 1777 "$stage/tmp"
chmod 0700 "$stage/root"

# busybox and one link per applet (all in /usr/bin; PATH covers sbin too).
cp /bin/busybox "$stage/usr/bin/busybox"
for a in $(/bin/busybox --list); do
	case $a in busybox) continue ;; esac
	[ -e "$stage/usr/bin/$a" ] || ln -s busybox "$stage/usr/bin/$a"
done

# copy_file SRC: SRC (symlinks resolved) to the same path in the tree.
copy_file() {
	local src=$1 dst
	dst=$stage$src
	[ -e "$dst" ] && return 0
	mkdir -p -- "$(dirname -- "$dst")"
	cp -L -- "$src" "$dst"
}

# copy_libs ELF: every shared library ldd resolves for ELF, and the loader.
copy_libs() {
	local f=$1 out line lib
	out=$(ldd "$f" 2>&1) || {
		case $out in *"not a dynamic executable"*) return 0 ;; esac
		die "ldd $f: $out"
	}
	case $out in *"not found"*) die "ldd $f: a library is missing: $(echo "$out" | grep 'not found' | head -n 3 | tr '\n' ' ')" ;; esac
	while IFS= read -r line; do
		lib=""
		case $line in
		*"=> /"*) lib=${line#*=> }; lib=${lib%% (*} ;;
		[[:space:]]/*) lib=${line#"${line%%[![:space:]]*}"}; lib=${lib%% (*} ;;
		esac
		[ -n "$lib" ] && copy_file "$lib"
	done <<<"$out"
}

# copy_bin SRC DST: a program and its libraries; stripped (the guest has no
# use for symbols and the initrd is measured and read on every boot).
copy_bin() {
	local src=$1 dst=$stage$2
	mkdir -p -- "$(dirname -- "$dst")"
	cp -L -- "$src" "$dst"
	chmod 0755 "$dst"
	if head -c 4 "$dst" | grep -q 'ELF'; then
		strip --strip-unneeded "$dst" 2>/dev/null || true
		copy_libs "$src"
	fi
}

copy_bin "$agent" /usr/sbin/ephemera-agent
# tpm2-tss loads the TCTI named in the config with dlopen, which ldd cannot
# see: the device TCTI (and the .so name the loader also tries).
copy_file "$tcti_lib"
ln -sf libtss2-tcti-device.so.0 "$stage/usr/lib/x86_64-linux-gnu/libtss2-tcti-device.so"
copy_libs "$tcti_lib"
# tpm2-tools' multi-call binary, for PCR extends/reads inside the guest.
copy_bin "$(command -v tpm2)" /usr/bin/tpm2
for t in tpm2_pcrextend tpm2_pcrread tpm2_getcap; do
	ln -s tpm2 "$stage/usr/bin/$t"
done
for x in "${extra[@]}"; do
	copy_bin "$x" "/usr/bin/${x##*/}"
done

# --- kernel modules -----------------------------------------------------------
# What the guest needs: the TPM (tpm_crb / tpm_tis, usually built in), the
# NIC (virtio-net, or e1000/e1000e, q35's default), virtio's RNG, virtio-blk
# (the VM driver's encrypted data disk, hot-plugged as /dev/vda). Built-in
# ones are skipped; each module's depends= comes before it.
wanted="tpm tpm_tis_core tpm_tis tpm_crb virtio_net virtio_pci e1000 e1000e virtio-rng virtio_blk"
declare -A modpath=() seen=()
while IFS= read -r -d '' ko; do
	n=${ko##*/}
	n=${n%.ko}
	modpath[${n//-/_}]=$ko
done < <(find "$moddir/kernel" -name '*.ko' -print0)
builtin_has() { grep -q "/${1}.ko\$" "$moddir/modules.builtin" 2>/dev/null; }
order=()
add_mod() {
	local n=${1//-/_} deps d
	[ -n "${seen[$n]:-}" ] && return 0
	seen[$n]=1
	if [ -z "${modpath[$n]:-}" ]; then
		if builtin_has "$1" || builtin_has "$n"; then
			log "module $1: built in"
		else
			log "module $1: not in this kernel (neither module nor built in)"
		fi
		return 0
	fi
	deps=$(tr '\0' '\n' <"${modpath[$n]}" | sed -n 's/^depends=//p' | head -n 1)
	for d in ${deps//,/ }; do
		add_mod "$d"
	done
	order+=("$n")
}
for m in $wanted; do
	add_mod "$m"
done
: >"$stage/etc/modules.order"
for n in "${order[@]}"; do
	rel=${modpath[$n]#"$kx"}
	mkdir -p -- "$(dirname -- "$stage$rel")"
	cp -- "${modpath[$n]}" "$stage$rel"
	echo "$rel" >>"$stage/etc/modules.order"
done
log "modules (load order): ${order[*]:-none}"
cp -- "$kconfig" "$stage/etc/kernel-config" 2>/dev/null || true

# --- /init and its files --------------------------------------------------------
install -m 0755 "$here/init.sh" "$stage/init"
install -m 0755 "$here/udhcpc.script" "$stage/usr/share/udhcpc/default.script"
install -m 0755 "$here/agent-run.sh" "$stage/usr/sbin/agent-run.sh"
install -m 0755 "$here/shell-ttyS1.sh" "$stage/usr/sbin/shell-ttyS1.sh"
install -m 0644 "$here/inittab" "$stage/etc/inittab"
printf 'root:x:0:0:root:/root:/bin/sh\n' >"$stage/etc/passwd"
printf 'root:x:0:\ntss:x:59:\n' >"$stage/etc/group"
printf '127.0.0.1\tlocalhost\n' >"$stage/etc/hosts"
printf 'hosts: files dns\n' >"$stage/etc/nsswitch.conf"
printf 'export PATH=/usr/sbin:/usr/bin\nexport TPM2TOOLS_TCTI=device:/dev/tpmrm0\n' >"$stage/etc/profile"
{
	echo "kernel_package=$kimg"
	echo "kernel_deb=${deb##*/}"
	echo "kernel_version=$kver"
	echo "agent_sha256=$(sha256sum "$stage/usr/sbin/ephemera-agent" | cut -d' ' -f1)"
	echo "modules=${order[*]:-}"
} >"$stage/etc/ephemera-guest.info"

# --- pack: newc, owned by root, fixed mtimes (the same inputs give the same
# bytes, so PCR 9 under OVMF is a stable reference value) ---------------------
find "$stage" -exec touch -h -d @0 {} +
(cd -- "$stage" && find . -mindepth 1 | LC_ALL=C sort |
	cpio -o -H newc -R 0:0 --reproducible --quiet) | gzip -n -6 >"$outdir/initrd-base.cpio.gz.tmp"
# NUL padding to a multiple of 4 bytes: the kernel skips NULs between
# archives but takes an uncompressed archive only at a 4-aligned offset, so
# a plain newc config archive can then be appended as is (an unaligned one is
# silently ignored; tested).
pad=$(( (4 - $(stat -c %s "$outdir/initrd-base.cpio.gz.tmp") % 4) % 4 ))
[ "$pad" = 0 ] || head -c "$pad" /dev/zero >>"$outdir/initrd-base.cpio.gz.tmp"
mv -f -- "$outdir/initrd-base.cpio.gz.tmp" "$outdir/initrd-base.cpio.gz"
cp -- "$vmlinuz" "$outdir/vmlinuz.tmp"
mv -f -- "$outdir/vmlinuz.tmp" "$outdir/vmlinuz"
cp -- "$stage/etc/ephemera-guest.info" "$outdir/guest.info"
{
	echo "initrd_sha256=$(sha256sum "$outdir/initrd-base.cpio.gz" | cut -d' ' -f1)"
	echo "vmlinuz_sha256=$(sha256sum "$outdir/vmlinuz" | cut -d' ' -f1)"
	echo "cmdline=console=ttyS0 panic=-1"
} >>"$outdir/guest.info"
rm -rf -- "$stage"
log "wrote $outdir/vmlinuz ($(stat -c %s "$outdir/vmlinuz") B) and $outdir/initrd-base.cpio.gz ($(stat -c %s "$outdir/initrd-base.cpio.gz") B) in $(($(ms) - t_start)) ms"
