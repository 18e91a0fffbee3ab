// Link-layer types probewatch decodes (libpcap DLT_* / LINKTYPE_* numbers) and the BPF filter p0f uses on each.

/** Link types with a decoder. */
export const LinkType = {
  NULL: 0,
  EN10MB: 1,
  RAW: 101,
  /** DLT_RAW as some platforms number it in memory (libpcap maps LINKTYPE_RAW 101 to it). */
  RAW_12: 12,
  RAW_14: 14,
  LOOP: 108,
  LINUX_SLL: 113,
  LINUX_SLL2: 276,
  IPV4: 228,
  IPV6: 229,
} as const;

/** Human name of a link type, for messages. */
export function linkTypeName(lt: number): string {
  switch (lt) {
    case LinkType.NULL: return 'BSD loopback (NULL)';
    case LinkType.EN10MB: return 'Ethernet';
    case LinkType.RAW:
    case LinkType.RAW_12:
    case LinkType.RAW_14: return 'raw IP';
    case LinkType.LOOP: return 'OpenBSD loopback (LOOP)';
    case LinkType.LINUX_SLL: return 'Linux cooked (SLL)';
    case LinkType.LINUX_SLL2: return 'Linux cooked v2 (SLL2)';
    case LinkType.IPV4: return 'raw IPv4';
    case LinkType.IPV6: return 'raw IPv6';
    default: return `link type ${lt}`;
  }
}

/** Whether the decoder understands this link type. */
export function isSupportedLinkType(lt: number): boolean {
  return Object.values(LinkType).includes(lt as never);
}

/** node_pcap reports the link type as a name (or "Unknown linktype N"); this maps it back to the number. */
export function linkTypeFromNodePcap(name: string): number {
  switch (name) {
    case 'LINKTYPE_NULL': return LinkType.NULL;
    case 'LINKTYPE_ETHERNET': return LinkType.EN10MB;
    case 'LINKTYPE_RAW': return LinkType.RAW;
    case 'LINKTYPE_LINUX_SLL': return LinkType.LINUX_SLL;
    case 'LINKTYPE_IEEE802_11_RADIO': return 127;
    default: {
      const m = /(\d+)\s*$/.exec(name);
      return m ? Number(m[1]) : -1;
    }
  }
}

/**
 * The capture filter for offline reading: p0f's own ("tcp", plus "vlan and tcp" on Ethernet, p0f.c prepare_bpf) so the
 * packet count that drives p0f's cache expiry is the same, widened by "ip6" so IPv6 SYNs behind extension headers
 * (which p0f's filter and decoder skip) still reach the decoder. `user` narrows it like p0f's own filter argument.
 */
export function offlineFilter(linkType: number, user = ''): string {
  // every libpcap "vlan" shifts the offsets of everything after it by one tag: the VLAN alternatives come last, and
  // the second one therefore matches two tags (802.1ad QinQ)
  const base = linkType === LinkType.EN10MB ? 'tcp or ip6 or (vlan and (tcp or ip6)) or (vlan and (tcp or ip6))' : 'tcp or ip6';
  return user.trim() ? `(${base}) and (${user})` : base;
}

const isVlanType = (t: number): boolean => t === 0x8100 || t === 0x88a8 || t === 0x9100;

/** Whether `tcp or ip6` passes the packet whose ethertype is at `b[at + off]` and IP header at `b[at + ip]`. */
function tcpOrIp6At(b: Uint8Array, at: number, len: number, off: number, ip: number): boolean {
  if (off + 2 > len) return false;
  const type = (b[at + off]! << 8) | b[at + off + 1]!;
  if (type === 0x86dd) return true;
  // BPF rejects a load past the captured length: ip[9] must be there
  return type === 0x0800 && ip + 10 <= len && b[at + ip + 9] === 6;
}

/** Whether `tcp or ip6` passes a frame that starts with its IP header at `b[at + off]` (raw IP links). */
function tcpOrIp6Raw(b: Uint8Array, at: number, len: number, off: number): boolean {
  if (off + 1 > len) return false;
  const ver = b[at + off]! >> 4;
  return ver === 6 || (ver === 4 && off + 10 <= len && b[at + off + 9] === 6);
}

/**
 * What libpcap's compiled offlineFilter(lt) (no user part) decides for the frame `b[at … at + len)`, without libpcap:
 * the built-in reader counts and decodes only the frames that reading through libpcap would deliver, so statistics
 * and the frames fingerprinted are the same with either reader.
 */
export function passesOfflineFilter(lt: number, b: Uint8Array, at: number, len: number): boolean {
  switch (lt) {
    case LinkType.EN10MB: {
      // "tcp or ip6 or (vlan and (tcp or ip6)) or (vlan and (tcp or ip6))", each "vlan" moving later tests by a tag,
      // evaluated as BPF does: alternatives in order, and a load past the captured bytes rejects the frame outright
      if (len < 14) return false;
      const t12 = (b[at + 12]! << 8) | b[at + 13]!;
      if (t12 === 0x0800) {
        if (len < 24) return false;
        if (b[at + 23] === 6) return true;
      } else if (t12 === 0x86dd) {
        return true;
      } else if (isVlanType(t12)) {
        if (len < 18) return false;
        const t16 = (b[at + 16]! << 8) | b[at + 17]!;
        if (t16 === 0x0800) {
          if (len < 28) return false;
          if (b[at + 27] === 6) return true;
        } else if (t16 === 0x86dd) {
          return true;
        }
      }
      if (len < 18 || !isVlanType((b[at + 16]! << 8) | b[at + 17]!)) return false;
      return tcpOrIp6At(b, at, len, 20, 22);
    }
    case LinkType.LINUX_SLL:
      return tcpOrIp6At(b, at, len, 14, 16);
    case LinkType.LINUX_SLL2:
      return tcpOrIp6At(b, at, len, 0, 20);
    case LinkType.NULL:
    case LinkType.LOOP:
      // the family word's values differ between systems; the decoder reads the IP version instead, and so does this
      return tcpOrIp6Raw(b, at, len, 4);
    case LinkType.IPV4:
      return len >= 10 && b[at + 9] === 6;
    case LinkType.IPV6:
      return true;
    default:
      return tcpOrIp6Raw(b, at, len, 0);
  }
}
