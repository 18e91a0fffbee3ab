// Test helper: firewall lines in the kernel's format with a unique sequence number in UID= (so duplicates are visible).

/** An iptables LOG line for packet number `seq` (UID=seq identifies it). */
export function fwLine(seq: number, stamp = 'Nov 26 14:22:44'): string {
  const a = (seq >> 8) & 255;
  const b = seq & 255;
  return `${stamp} sensor kernel: [ 300.027400] DROP IN=eth0 OUT= MAC=02:00:00:00:00:02:0e:79:ae:75:9c:85:08:00 SRC=198.51.${a}.${b} DST=203.0.113.1 LEN=44 TOS=0x00 PREC=0x00 TTL=53 ID=${seq & 65535} PROTO=TCP SPT=36906 DPT=${1 + (seq % 65535)} WINDOW=1024 RES=0x00 SYN URGP=0 OPT (020405B4) UID=${seq} GID=0`;
}

/** Lines for seq in [from, to), newline-terminated. */
export function fwLines(from: number, to: number): string {
  let s = '';
  for (let i = from; i < to; i++) s += `${fwLine(i)}\n`;
  return s;
}
