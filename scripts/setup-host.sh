#!/usr/bin/env bash
# Prepare a Debian 12 machine (as root) for building, testing and demoing the
# hooks: the system packages the test harness needs, and the npm dependencies.
# Idempotent: installs only what is missing; never starts the system
# openvswitch service (the harness runs its own OVS instances).
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
say() { printf 'setup-host: %s\n' "$*"; }

if [[ $(id -u) -ne 0 ]]; then
  say "must run as root (network namespaces, OVS daemons, apt)" >&2
  exit 1
fi

# --- system packages ---------------------------------------------------------
# isc-dhcp-client and dhcpcd-base: the DHCP clients the hook chooses between (the tests run both);
# ovn-central and ovn-host: a real OVN central and chassis; nftables, iperf3, ethtool, tcpdump:
# NAT rules, QoS measurement, veth offloads and capture in the behaviour tests
packages=(openvswitch-switch iputils-ping rpm dnsmasq-base iproute2 sudo isc-dhcp-client dhcpcd-base
  ovn-central ovn-host nftables iperf3 ethtool tcpdump)
missing=()
for pkg in "${packages[@]}"; do
  status=$(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null || true)
  [[ $status == 'install ok installed' ]] || missing+=("$pkg")
done

if ((${#missing[@]} == 0)); then
  say "system packages present: ${packages[*]}"
else
  say "installing: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  # Keep maintainer scripts from starting services (openvswitch-switch would
  # start the system OVS): a policy-rc.d that answers 101 "action forbidden",
  # honoured by invoke-rc.d and deb-systemd-invoke. An existing policy is
  # put back afterwards.
  policy=/usr/sbin/policy-rc.d
  backup=
  if [[ -e $policy ]]; then
    backup=$(mktemp "$policy.setup-host.XXXXXX")
    cp -p "$policy" "$backup"
  fi
  restore_policy() {
    if [[ -n $backup ]]; then mv -f "$backup" "$policy"; else rm -f "$policy"; fi
  }
  trap restore_policy EXIT
  printf '#!/bin/sh\n# written by setup-host.sh while it installs packages\nexit 101\n' >"$policy"
  chmod 0755 "$policy"

  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  restore_policy
  trap - EXIT
  say "installed: ${missing[*]}"
fi

# --- node --------------------------------------------------------------------
# Node itself is not installed here (Debian 12 ships Node 18; the project needs 20+).
if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
  say "node and npm (Node >= 20) are required but not found in PATH" >&2
  exit 1
fi
node_major=$(node -p 'process.versions.node.split(".")[0]')
if ((node_major < 20)); then
  say "Node >= 20 is required, found $(node --version)" >&2
  exit 1
fi

# --- npm dependencies --------------------------------------------------------
cd "$repo"
if [[ -f package-lock.json ]]; then
  if [[ ! -d node_modules ]]; then
    say "npm ci (no node_modules)"
  elif [[ package-lock.json -nt node_modules ]]; then
    say "npm ci (package-lock.json is newer than node_modules)"
  else
    say "node_modules up to date"
    exit 0
  fi
  npm ci --no-audit --no-fund --loglevel=error
else
  if [[ -d node_modules ]]; then
    say "node_modules present (no package-lock.json)"
    exit 0
  fi
  say "npm install (no package-lock.json)"
  npm install --no-audit --no-fund --loglevel=error
fi
# npm may leave the directory's mtime alone; mark it as fresh for the next run.
touch node_modules
say "done"
