#!/usr/bin/env bash
# Captures real Linux kernel SYNs and SYN+ACKs under common sysctl settings, for signatures/modern.fp and its tests.
# Usage: scripts/capture-linux-syns.sh OUT.pcap   (needs root, iproute2, tcpdump, python3; uses namespaces pwfp-cap-a/-b)
set -euo pipefail
OUT=$(realpath -m "${1:?output pcap}")
A=pwfp-cap-a; B=pwfp-cap-b
cleanup() { [ -n "${TD:-}" ] && kill "$TD" 2>/dev/null || true; ip netns del $A 2>/dev/null || true; ip netns del $B 2>/dev/null || true; }
cleanup; trap cleanup EXIT
ip netns add $A; ip netns add $B
ip link add pwfpcap0 netns $A type veth peer name pwfpcap1 netns $B
ip -n $A addr add 192.0.2.10/24 dev pwfpcap0; ip -n $B addr add 192.0.2.1/24 dev pwfpcap1
ip -n $A addr add 2001:db8:10::10/64 dev pwfpcap0 nodad; ip -n $B addr add 2001:db8:10::1/64 dev pwfpcap1 nodad
for n in $A $B; do ip -n $n link set lo up; done
ip -n $A link set pwfpcap0 up; ip -n $B link set pwfpcap1 up
# a listener answers on 80 (SYN+ACK), nothing listens on 81 (RST)
ip netns exec $B python3 -c '
import socket, threading
for fam, addr in ((socket.AF_INET, "192.0.2.1"), (socket.AF_INET6, "2001:db8:10::1")):
    s = socket.socket(fam); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1); s.bind((addr, 80)); s.listen(64)
    threading.Thread(target=lambda s=s: [c.close() for c, _ in iter(s.accept, None)], daemon=True).start()
import time; time.sleep(120)' &
SRV=$!
ip netns exec $B tcpdump -q -i pwfpcap1 -s 256 -U -w "$OUT" 'tcp[tcpflags] & tcp-syn != 0 or (ip6 and ip6[6] == 6 and ip6[53] & 2 != 0)' 2>/dev/null &
TD=$!
sleep 1
conn() { ip netns exec $A python3 -c "
import socket, sys
fam = socket.AF_INET6 if ':' in sys.argv[1] else socket.AF_INET
s = socket.socket(fam); s.settimeout(1)
try: s.connect((sys.argv[1], int(sys.argv[2])))
except OSError: pass
s.close()" "$1" "$2"; }
set_a() { ip netns exec $A sysctl -qw "$@"; }
defaults() { set_a net.ipv4.tcp_timestamps=1 net.ipv4.tcp_sack=1 net.ipv4.tcp_window_scaling=1 net.ipv4.tcp_ecn=2 \
  net.ipv4.ip_default_ttl=64 net.ipv4.tcp_rmem="4096 131072 6291456"; }
# one connection per setting, each from its own source port range marker (the settings are documented in modern.fp)
defaults; conn 192.0.2.1 80; conn 2001:db8:10::1 80
set_a net.ipv4.tcp_timestamps=0; conn 192.0.2.1 80; conn 2001:db8:10::1 80; defaults
set_a net.ipv4.tcp_sack=0; conn 192.0.2.1 80; defaults
set_a net.ipv4.tcp_window_scaling=0; conn 192.0.2.1 80; defaults
set_a net.ipv4.tcp_ecn=1; conn 192.0.2.1 80; conn 2001:db8:10::1 80; defaults
set_a net.ipv4.ip_default_ttl=128; conn 192.0.2.1 80; defaults
set_a net.ipv4.tcp_rmem="4096 131072 33554432"; conn 192.0.2.1 80; conn 2001:db8:10::1 80; defaults
set_a net.ipv4.tcp_rmem="4096 87380 6291456"; conn 192.0.2.1 80; defaults
conn 192.0.2.1 81
sleep 1
kill $SRV 2>/dev/null || true
