// Reads a registry's whois answer: access denied, no match, "ask elsewhere", a referral, or the most specific network record.
import type { Registry } from '../../domain/enrichment.ts';
import type { WhoisInfo } from '../../domain/profile.ts';
import { parseIp } from '../../domain/address.ts';
import type { SplitAnswer, WhoisObject } from './objects.ts';
import { all, asNumber, first, isoDate, mailbox, splitObjects } from './objects.ts';
import type { Range } from './range.ts';
import { parseRange, rangeCidrs, rangeHolds, rangeSize, rangeText } from './range.ts';

/** The network fields of a record (WhoisInfo without registry, server and raw). */
export type NetFields = Omit<WhoisInfo, 'registry' | 'server' | 'raw' | 'parsed'>;

/** What an answer says. */
export type ParsedAnswer =
  | { kind: 'record'; fields: NetFields; range: Range | null; referral: string | null }
  | { kind: 'denied'; message: string }
  | { kind: 'nomatch' }
  | { kind: 'elsewhere'; referral: string | null; why: string }
  | { kind: 'unparsed' };

const DENIED = /%\s*ERROR:\s*20[12]\b[^\n]*|access denied[^\n]*|query rate limit exceeded[^\n]*|query limit exceeded[^\n]*/i;
const NOMATCH = /%\s*ERROR:\s*101\b|no match found for|no entries found|^%?\s*no match\b/im;
/** Placeholder objects RIPE-software registries return for space they do not manage. */
const NOT_OURS = /^(?:IANA-BLK|IANA-NETBLOCK-\d+|NON-RIPE-NCC-MANAGED-ADDRESS-BLOCK|ERX-NETBLOCK|AFRINIC-NET-TRANSFERRED.*|IANA-BLOCK|NON-AFRINIC-.*|.*-NON-RIPE.*)$/i;

function emptyFields(): NetFields {
  return { range: null, cidrs: [], netname: null, orgName: null, orgId: null, country: null, descr: [], abuse: null, status: null, created: null, updated: null, originAs: null };
}

/** The abuse mailbox RIPE-software servers announce in a comment, even under -r. */
function abuseComment(comments: readonly string[]): string | null {
  for (const c of comments) {
    const m = /abuse contact for .* is '([^']*)'/i.exec(c);
    if (m) return mailbox(m[1] ?? null);
  }
  return null;
}

/** Chooses, among objects carrying a range, the most specific one that holds the address. */
function mostSpecific<T extends { range: Range }>(cands: readonly T[], ip: Uint8Array | null): T | null {
  let best: T | null = null;
  for (const c of cands) {
    if (ip && !rangeHolds(c.range, ip)) continue;
    if (!best || rangeSize(c.range) < rangeSize(best.range)) best = c;
  }
  return best ?? cands[0] ?? null;
}

/** RIPE, APNIC, AFRINIC: inetnum/inet6num objects, route/route6 objects for the origin AS, organisation and irt objects. */
function parseRpsl(split: SplitAnswer, ip: Uint8Array | null): ParsedAnswer {
  const nets = split.objects
    .filter((o) => o.type === 'inetnum' || o.type === 'inet6num')
    .map((o) => ({ o, range: parseRange(first(o, o.type) ?? '') }))
    .filter((x): x is { o: WhoisObject; range: Range } => x.range !== null);
  const net = mostSpecific(nets, ip);
  if (!net) return { kind: 'unparsed' };
  const netname = first(net.o, 'netname');
  if ((netname && NOT_OURS.test(netname)) || rangeSize(net.range) >= (net.range.family === 4 ? 2n ** 31n : 2n ** 127n)) {
    return { kind: 'elsewhere', referral: null, why: `registry answered with placeholder ${netname ?? rangeText(net.range)}` };
  }
  const routes = split.objects
    .filter((o) => o.type === 'route' || o.type === 'route6')
    .map((o) => ({ o, range: parseRange(first(o, o.type) ?? '') }))
    .filter((x): x is { o: WhoisObject; range: Range } => x.range !== null);
  const route = mostSpecific(routes, ip);
  const orgId = first(net.o, 'org');
  const orgObj = split.objects.find((o) => o.type === 'organisation' && (!orgId || first(o, 'organisation') === orgId));
  const irtId = first(net.o, 'mnt-irt');
  const irt = split.objects.find((o) => o.type === 'irt' && (!irtId || first(o, 'irt') === irtId));
  const f = emptyFields();
  f.range = rangeText(net.range);
  f.cidrs = rangeCidrs(net.range);
  f.netname = netname;
  f.orgId = orgId;
  f.orgName = first(orgObj, 'org-name');
  f.country = first(net.o, 'country')?.toUpperCase() ?? null;
  f.descr = all(net.o, 'descr');
  f.abuse = abuseComment(split.comments) ?? mailbox(first(net.o, 'abuse-mailbox')) ?? mailbox(first(irt, 'abuse-mailbox', 'e-mail'))
    ?? mailbox(first(orgObj, 'abuse-mailbox'));
  f.status = first(net.o, 'status');
  f.created = isoDate(first(net.o, 'created'));
  f.updated = isoDate(first(net.o, 'last-modified', 'changed'));
  f.originAs = asNumber(first(route?.o, 'origin'));
  return { kind: 'record', fields: f, range: net.range, referral: null };
}

/** ARIN: `# start … # end` result sections (n + ADDR lists every matching network, least specific first). */
function parseArin(text: string, ip: Uint8Array | null): ParsedAnswer {
  const sections: string[] = [];
  const re = /^# start\s*$([\s\S]*?)^# end\s*$/gm;
  let m: RegExpExecArray | null;
  while ((m = re.exec(text)) !== null) sections.push(m[1]!);
  if (sections.length === 0) sections.push(text);
  const nets: { range: Range; objs: WhoisObject[]; net: WhoisObject }[] = [];
  for (const s of sections) {
    const { objects } = splitObjects(s);
    const net = objects.find((o) => o.type === 'netrange' || o.attrs.some(([k]) => k === 'netrange'));
    const range = parseRange(first(net, 'netrange') ?? '');
    if (net && range) nets.push({ range, objs: objects, net });
  }
  const referral = /^ReferralServer:\s*(\S+)/im.exec(text)?.[1] ?? null;
  const best = mostSpecific(nets, ip);
  if (!best) return referral ? { kind: 'elsewhere', referral, why: 'ARIN referral' } : { kind: 'unparsed' };
  const org = best.objs.find((o) => o.attrs.some(([k]) => k === 'orgname' || k === 'custname'));
  const abuseObj = best.objs.find((o) => o.attrs.some(([k]) => k === 'orgabuseemail' || k === 'rabuseemail'));
  const f = emptyFields();
  f.range = rangeText(best.range);
  const cidr = first(best.net, 'cidr');
  f.cidrs = cidr ? cidr.split(/[,\s]+/).filter((c) => c.length > 0) : rangeCidrs(best.range);
  f.netname = first(best.net, 'netname');
  f.orgName = first(org, 'orgname', 'custname');
  f.orgId = first(org, 'orgid') ?? /\(([^)]+)\)\s*$/.exec(first(best.net, 'organization', 'customer') ?? '')?.[1] ?? null;
  f.country = first(org, 'country')?.toUpperCase() ?? null;
  f.descr = all(best.net, 'comment');
  f.abuse = mailbox(first(abuseObj, 'orgabuseemail', 'rabuseemail'));
  f.status = first(best.net, 'nettype');
  f.created = isoDate(first(best.net, 'regdate'));
  f.updated = isoDate(first(best.net, 'updated'));
  f.originAs = asNumber(first(best.net, 'originas'));
  // a network ARIN lists as another registry's ("RIPE Network Coordination Centre") comes with a ReferralServer
  return { kind: 'record', fields: f, range: best.range, referral };
}

/** LACNIC: inetnum in CIDR (abbreviated), owner/ownerid, aut-num, and person objects holding the abuse-c mailbox. */
function parseLacnic(split: SplitAnswer, ip: Uint8Array | null): ParsedAnswer {
  const nets = split.objects
    .filter((o) => o.type === 'inetnum' || o.type === 'inet6num')
    .map((o) => ({ o, range: parseRange(first(o, o.type) ?? '') }))
    .filter((x): x is { o: WhoisObject; range: Range } => x.range !== null);
  const net = mostSpecific(nets, ip);
  if (!net) return { kind: 'unparsed' };
  const abuseHandle = first(net.o, 'abuse-c');
  const person = split.objects.find((o) => abuseHandle !== null && (first(o, 'nic-hdl') === abuseHandle || first(o, 'nic-hdl-br') === abuseHandle));
  const f = emptyFields();
  f.range = rangeText(net.range);
  f.cidrs = rangeCidrs(net.range);
  f.netname = first(net.o, 'netname');
  f.orgName = first(net.o, 'owner');
  f.orgId = first(net.o, 'ownerid');
  f.country = first(net.o, 'country')?.toUpperCase() ?? null;
  f.descr = [];
  f.abuse = mailbox(first(person, 'e-mail', 'abuse-mailbox'));
  f.status = first(net.o, 'status');
  f.created = isoDate(first(net.o, 'created'));
  f.updated = isoDate(first(net.o, 'changed', 'last-modified'));
  f.originAs = asNumber(first(net.o, 'aut-num'));
  return { kind: 'record', fields: f, range: net.range, referral: null };
}

/** Guesses the format of a server outside the five registries from its answer. */
function formatOf(registry: Registry, text: string): Registry {
  if (registry !== 'other') return registry;
  if (/^NetRange:/im.test(text)) return 'arin';
  if (/^owner(?:id)?:/im.test(text)) return 'lacnic';
  return 'ripe';
}

/** Parses the answer of `registry`'s server for address `ip`. */
export function parseAnswer(registry: Registry, text: string, ip: string): ParsedAnswer {
  const denied = DENIED.exec(text);
  if (denied) return { kind: 'denied', message: denied[0].trim() };
  const bytes = parseIp(ip)?.bytes ?? null;
  const fmt = formatOf(registry, text);
  let res: ParsedAnswer;
  if (fmt === 'arin') res = parseArin(text, bytes);
  else {
    const split = splitObjects(text);
    res = fmt === 'lacnic' ? parseLacnic(split, bytes) : parseRpsl(split, bytes);
  }
  if (res.kind === 'unparsed' && NOMATCH.test(text)) return { kind: 'nomatch' };
  return res;
}
