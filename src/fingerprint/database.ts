// A loaded signature set: one or more p0f.fp texts in order, TCP signatures grouped by option layout, MTU links.
import { pwError } from '../domain/errors.ts';
import { NameRegistry, parseFpFile } from './fp-file.ts';
import type { FpFile, FpHttpEntry, FpMtuEntry, FpTcpEntry } from './fp-file.ts';
import { findMatch } from './tcp-match.ts';
import type { MatchProbe, TcpSigRecord } from './tcp-match.ts';

/** A signature file's name and text (the caller reads files; this module stays pure). */
export interface SignatureText {
  /** Name used in messages (usually the path). */
  name: string;
  text: string;
}

/** A later signature that can never win because an earlier file's signature covers it (kept, reported). */
export interface ShadowedSignature {
  entry: FpTcpEntry;
  /** The earlier signature that covers it. */
  by: FpTcpEntry;
}

/** The signatures probewatch matches with. */
export class SignatureDb {
  readonly registry: NameRegistry;
  readonly files: readonly FpFile[];
  /** TCP signatures by direction (0 = SYN+ACK, 1 = SYN), grouped by layout key, in load order. */
  readonly #tcp: [Map<string, TcpSigRecord[]>, Map<string, TcpSigRecord[]>] = [new Map<string, TcpSigRecord[]>(), new Map<string, TcpSigRecord[]>()];
  readonly #mtu = new Map<number, FpMtuEntry>();
  /** Every TCP signature in load order. */
  readonly tcp: TcpSigRecord[] = [];
  /** Every MTU signature in load order. */
  readonly mtu: FpMtuEntry[] = [];
  /** Every HTTP signature (parsed, not matched). */
  readonly http: FpHttpEntry[] = [];
  /** Cross-file duplicates: signatures of a later file that an earlier file already covers. */
  readonly shadowed: ShadowedSignature[] = [];

  constructor(texts: readonly SignatureText[]) {
    if (texts.length === 0) throw pwError('PW_ERR_SIGNATURE_SYNTAX', ['no signature files given']);
    this.registry = new NameRegistry();
    const files: FpFile[] = [];
    for (const t of texts) {
      const f = parseFpFile(t.text, t.name, this.registry);
      files.push(f);
      for (const e of f.tcp) this.#register(e);
      for (const m of f.mtu) {
        this.mtu.push(m);
        if (!this.#mtu.has(m.mtu)) this.#mtu.set(m.mtu, m);
      }
      this.http.push(...f.http);
    }
    this.files = files;
  }

  /** Total `sig` lines loaded (p0f's "Loaded N signatures", summed over files). */
  get sigCount(): number {
    return this.files.reduce((n, f) => n + f.sigCount, 0);
  }

  /** The signatures of one direction sharing an option layout, in load order. */
  group(toServer: boolean, layoutKey: string): readonly TcpSigRecord[] | undefined {
    return this.#tcp[toServer ? 1 : 0].get(layoutKey);
  }

  /** The link name of an MTU, or null (first entry in load order wins). */
  link(mtu: number): string | null {
    return this.#mtu.get(mtu)?.label ?? null;
  }

  #register(e: FpTcpEntry): void {
    const s = e.sig;
    const map = this.#tcp[e.toServer ? 1 : 0];
    // p0f's load-time check: a signature that an earlier specific one already matches exactly is an error
    const probe: MatchProbe = {
      ver: s.ver, layoutKey: s.layoutKey, quirks: s.quirks, eolPad: s.eolPad, olen: s.olen, ttl: s.ttl,
      mss: s.mss ?? -1, win: s.win.kind === 'any' ? 0 : s.win.n, winKind: s.win.kind, wscale: s.scale ?? -1,
      pclass: s.pclass ?? -1, totHdr: 0, ts1: 0,
    };
    const hit = findMatch(map.get(s.layoutKey), probe, 0, true).record;
    if (hit) {
      if (hit.entry.file === e.file) {
        throw pwError('PW_ERR_SIGNATURE_SYNTAX', [`${e.file}:${e.line}: signature is already covered by line ${hit.entry.line}`], { file: e.file, line: e.line });
      }
      this.shadowed.push({ entry: e, by: hit.entry });
    }
    const rec: TcpSigRecord = { entry: e, sig: s, generic: e.label.generic, tool: e.label.classId < 0, index: this.tcp.length };
    this.tcp.push(rec);
    let g = map.get(s.layoutKey);
    if (!g) map.set(s.layoutKey, (g = []));
    g.push(rec);
  }
}
