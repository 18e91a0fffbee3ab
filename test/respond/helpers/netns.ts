// Test network: a victim namespace (firewall under test, TCP listener) and an attacker namespace joined by a veth pair,
// documentation addresses only; an agent in the attacker namespace reports whether a connection from a given source
// address gets through. Everything is removed by `destroy()`.
import { execFileSync, spawn } from 'node:child_process';
import type { ChildProcessWithoutNullStreams } from 'node:child_process';
import { createInterface } from 'node:readline';
import { commandRunner } from '../../../src/respond/firewall/exec.ts';
import type { CommandRunner } from '../../../src/respond/firewall/exec.ts';

const VICTIM4 = '192.0.2.1';
const VICTIM6 = '2001:db8:1::1';
/** Attacker addresses: [0] the scanner, [1] an allowlisted host. */
export const ATTACKER4 = ['192.0.2.2', '192.0.2.3'] as const;
export const ATTACKER6 = ['2001:db8:1::2', '2001:db8:1::3'] as const;
export const VICTIM = { v4: VICTIM4, v6: VICTIM6 } as const;

const LISTENER = `const net=require('net');const s=net.createServer(c=>{c.on('error',()=>{});c.end('ok');});s.listen({port:7,host:'::',ipv6Only:false},()=>process.stdout.write('ready\\n'));`;
const AGENT = `const net=require('net');const rl=require('readline').createInterface({input:process.stdin});
rl.on('line',l=>{const q=JSON.parse(l);const s=net.connect({host:q.host,port:7,localAddress:q.from});let done=false;
const fin=ok=>{if(done)return;done=true;s.destroy();process.stdout.write(JSON.stringify({id:q.id,ok})+'\\n');};
s.setTimeout(q.ms,()=>fin(false));s.on('connect',()=>fin(true));s.on('error',()=>fin(false));});
process.stdout.write('ready\\n');`;

function sh(argv: string[]): void {
  execFileSync(argv[0]!, argv.slice(1), { stdio: ['ignore', 'ignore', 'pipe'] });
}

/** Whether this process can create namespaces (root with iproute2); tests fail loudly otherwise. */
export function canUseNetns(): boolean {
  try {
    execFileSync('ip', ['netns', 'list'], { stdio: 'ignore' });
    return process.getuid?.() === 0;
  } catch {
    return false;
  }
}

/** A victim/attacker pair. */
export class TestNet {
  readonly victim: string;
  readonly attacker: string;
  #listener: ChildProcessWithoutNullStreams | null = null;
  #agent: ChildProcessWithoutNullStreams | null = null;
  #waiting = new Map<number, (ok: boolean) => void>();
  #id = 0;

  constructor(tag: string) {
    const base = `pwrsp-${tag}-${process.pid}`;
    this.victim = `${base}-v`;
    this.attacker = `${base}-a`;
  }

  /** Runner for firewall commands inside the victim namespace. */
  get runner(): CommandRunner {
    return commandRunner(['ip', 'netns', 'exec', this.victim]);
  }

  /** Runs a command in the victim namespace (test set-up such as flushing the firewall). */
  inVictim(argv: string[]): void {
    sh(['ip', 'netns', 'exec', this.victim, ...argv]);
  }

  async create(): Promise<void> {
    this.destroySync();
    const v = this.victim;
    const a = this.attacker;
    const vi = `pw${process.pid % 100000}v${this.victim.length % 10}`;
    const ai = `pw${process.pid % 100000}a${this.victim.length % 10}`;
    sh(['ip', 'netns', 'add', v]);
    sh(['ip', 'netns', 'add', a]);
    sh(['ip', 'link', 'add', vi, 'netns', v, 'type', 'veth', 'peer', 'name', ai, 'netns', a]);
    for (const [ns, ifc, addrs4, addrs6] of [[v, vi, [VICTIM4], [VICTIM6]], [a, ai, ATTACKER4, ATTACKER6]] as const) {
      sh(['ip', '-n', ns, 'link', 'set', 'lo', 'up']);
      for (const x of addrs4) sh(['ip', '-n', ns, 'addr', 'add', `${x}/24`, 'dev', ifc]);
      for (const x of addrs6) sh(['ip', '-n', ns, 'addr', 'add', `${x}/64`, 'dev', ifc, 'nodad']);
      sh(['ip', '-n', ns, 'link', 'set', ifc, 'up']);
    }
    this.#listener = await this.#start(v, LISTENER);
    this.#agent = await this.#start(a, AGENT);
    createInterface({ input: this.#agent.stdout }).on('line', (l) => {
      const r = JSON.parse(l) as { id: number; ok: boolean };
      this.#waiting.get(r.id)?.(r.ok);
      this.#waiting.delete(r.id);
    });
    // a fresh veth needs a moment (link-local DAD, first neighbour discovery) before every address answers at once
    for (let i = 0; i < 20; i++) {
      const ok = await Promise.all([...ATTACKER4, ...ATTACKER6].map((a) => this.reach(a, 500)));
      if (ok.every((x) => x)) return;
    }
    throw new Error('test network never became reachable');
  }

  async #start(ns: string, code: string): Promise<ChildProcessWithoutNullStreams> {
    const p = spawn('ip', ['netns', 'exec', ns, process.execPath, '-e', code], { stdio: 'pipe' });
    await new Promise<void>((resolve, reject) => {
      const t = setTimeout(() => { reject(new Error(`${ns}: helper did not start`)); }, 10_000);
      p.stdout.once('data', () => { clearTimeout(t); resolve(); });
      p.once('exit', (c) => { clearTimeout(t); reject(new Error(`${ns}: helper exited ${String(c)}`)); });
    });
    p.stdout.removeAllListeners('data');
    return p;
  }

  /** Whether a TCP connection from `from` (an attacker address) to the victim gets through within `ms`. */
  reach(from: string, ms = 900): Promise<boolean> {
    const id = ++this.#id;
    const host = from.includes(':') ? VICTIM6 : VICTIM4;
    return new Promise((resolve) => {
      this.#waiting.set(id, resolve);
      this.#agent!.stdin.write(`${JSON.stringify({ id, host, from, ms })}\n`);
    });
  }

  destroySync(): void {
    this.#agent?.kill('SIGKILL');
    this.#listener?.kill('SIGKILL');
    this.#agent = null;
    this.#listener = null;
    for (const ns of [this.victim, this.attacker]) {
      try {
        execFileSync('ip', ['netns', 'del', ns], { stdio: 'ignore' });
      } catch { /* not there */ }
    }
  }
}
