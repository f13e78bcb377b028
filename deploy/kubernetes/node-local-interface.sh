#!/bin/sh
# Puts the node-local DNS addresses on the node and keeps them there while dnsmesh runs: what
# node-local-dns's node-cache does itself, here in its own container (NET_ADMIN) so that dnsmesh
# needs nothing but NET_BIND_SERVICE. The DaemonSet runs it as a sidecar (`run`); see README.md.
#
#   node-local-interface.sh run        set up, check again every 60 s, tear down on SIGTERM
#   node-local-interface.sh check      exit 0 when the addresses and rules are in place
#   node-local-interface.sh teardown   remove the addresses and rules
#
# Environment:
#   LOCAL_DNS_IP   the link-local address dnsmesh listens on (169.254.20.10)    required
#   KUBE_DNS_IP    the kube-dns Service IP, taken over on this node (optional; empty: link-local only)
#   INTERFACE      the dummy interface that holds them (default nodelocaldns; `lo` uses loopback)
#   DNS_PORT       default 53
#
# Rules for each address (iptables, or ip6tables for an IPv6 one): NOTRACK in the raw table, so
# that DNS to the kube-dns IP skips conntrack and kube-proxy's DNAT and reaches this node's dnsmesh,
# and ACCEPT in the filter table, both ways, UDP and TCP.
set -eu

: "${LOCAL_DNS_IP:?LOCAL_DNS_IP is required}"
KUBE_DNS_IP=${KUBE_DNS_IP:-}
INTERFACE=${INTERFACE:-nodelocaldns}
DNS_PORT=${DNS_PORT:-53}

addresses() { printf '%s\n' "$LOCAL_DNS_IP" ${KUBE_DNS_IP:+"$KUBE_DNS_IP"}; }
tables() { case $1 in *:*) echo ip6tables ;; *) echo iptables ;; esac; }
prefix() { case $1 in *:*) echo 128 ;; *) echo 32 ;; esac; }

# The rules of one address, one a line: TABLE CHAIN MATCH...
rules() {
  for proto in udp tcp; do
    echo "raw PREROUTING -d $1 -p $proto --dport $DNS_PORT -j NOTRACK"
    echo "raw OUTPUT -d $1 -p $proto --dport $DNS_PORT -j NOTRACK"
    echo "raw OUTPUT -s $1 -p $proto --sport $DNS_PORT -j NOTRACK"
    echo "filter INPUT -d $1 -p $proto --dport $DNS_PORT -j ACCEPT"
    echo "filter OUTPUT -s $1 -p $proto --sport $DNS_PORT -j ACCEPT"
  done
}

# Exit 0 when every rule of every address is in place.
rules_in_place() {
  for ip in $(addresses); do
    cmd=$(tables "$ip")
    rules "$ip" | while read -r table chain rest; do
      # shellcheck disable=SC2086 # rest is the rule's words
      "$cmd" -w 5 -t "$table" -C "$chain" $rest 2>/dev/null || exit 1
    done || return 1
  done
}

has_address() { ip -o addr show dev "$INTERFACE" 2>/dev/null | grep -q " $1/$(prefix "$1") "; }

setup() {
  if [ "$INTERFACE" != lo ] && ! ip link show dev "$INTERFACE" >/dev/null 2>&1; then
    ip link add "$INTERFACE" type dummy
  fi
  ip link set dev "$INTERFACE" up
  for ip in $(addresses); do
    has_address "$ip" || ip addr add "$ip/$(prefix "$ip")" dev "$INTERFACE"
  done
  for ip in $(addresses); do
    cmd=$(tables "$ip")
    rules "$ip" | while read -r table chain rest; do
      # shellcheck disable=SC2086
      "$cmd" -w 5 -t "$table" -C "$chain" $rest 2>/dev/null || "$cmd" -w 5 -t "$table" -I "$chain" $rest
    done
  done
}

check() {
  for ip in $(addresses); do has_address "$ip" || return 1; done
  rules_in_place
}

teardown() {
  # Each rule as often as it is there; a missing one is no error.
  for ip in $(addresses); do
    cmd=$(tables "$ip")
    rules "$ip" | while read -r table chain rest; do
      # shellcheck disable=SC2086
      while "$cmd" -w 5 -t "$table" -D "$chain" $rest 2>/dev/null; do :; done
    done
  done
  for ip in $(addresses); do
    ! has_address "$ip" || ip addr del "$ip/$(prefix "$ip")" dev "$INTERFACE"
  done
  if [ "$INTERFACE" != lo ] && ip link show dev "$INTERFACE" >/dev/null 2>&1; then
    ip link del "$INTERFACE"
  fi
}

case ${1:-} in
  run)
    setup
    echo "node-local-interface: $(addresses | tr '\n' ' ')on $INTERFACE, port $DNS_PORT"
    trap 'teardown; echo "node-local-interface: removed"; exit 0' TERM INT
    # Something else (kube-proxy, a firewall reload) may flush the rules: put them back.
    while :; do
      sleep 60 &
      wait $! || true
      check || setup
    done
    ;;
  check) check ;;
  teardown) teardown ;;
  *) echo "usage: $0 run|check|teardown" >&2; exit 2 ;;
esac
