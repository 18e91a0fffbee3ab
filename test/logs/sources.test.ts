// LogSources: files and a syslog listener from the settings, resumed from stored offsets, into one batch callback.
import { createSocket } from 'node:dgram';
import { appendFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { logs as logsSection } from '../../src/config/sections/logs.ts';
import type { LogOffset } from '../../src/domain/log-offset.ts';
import { LogSources, parserOptionsFromSettings } from '../../src/logs/sources.ts';
import { fwLine, fwLines } from './helpers/lines.ts';

const dir = mkdtempSync(join(tmpdir(), 'pwlog-sources-'));
afterAll(() => { rmSync(dir, { recursive: true, force: true }); });

async function until(pred: () => boolean, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!pred()) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe('LogSources', () => {
  it('maps settings to parser options', () => {
    const s = { ...logsSection.defaults, timezone: 'Europe/Berlin', futureTolerance: 60 };
    expect(parserOptionsFromSettings(s, true)).toEqual({ maxLineLength: 16_384, futureToleranceMs: 60_000, sidTag: 'SID', psadCompat: true, timezone: 'Europe/Berlin' });
    expect(parserOptionsFromSettings(logsSection.defaults).timezone).toBeUndefined();
  });

  it('follows two files and a UDP listener into one callback, resuming from stored offsets', async () => {
    const a = join(dir, 'a.log');
    const b = join(dir, 'b.log');
    writeFileSync(a, fwLines(0, 10));
    writeFileSync(b, fwLines(100, 105));
    const seen: number[] = [];
    const offsets = new Map<string, LogOffset>();
    const settings = { ...logsSection.defaults, files: [a, b], syslogListen: ['udp://127.0.0.1:0'], pollInterval: 0.02, flushInterval: 0.01, timezone: 'UTC' };
    const run = async (expectCount: number, act: (port: number) => Promise<void>) => {
      const s = new LogSources({ settings, offsets, onBatch: (x) => { for (const p of x.packets) seen.push(p.uid!); if (x.offset) offsets.set(x.source, x.offset); } });
      await s.start();
      expect(s.status().map((x) => x.source)).toEqual([a, b, 'syslog:udp://127.0.0.1:0']);
      await act(s.listening()[0]!.port);
      await until(() => seen.length >= expectCount);
      expect(s.ready).toBe(true);
      await s.stop();
    };
    await run(15, () => Promise.resolve());
    appendFileSync(a, fwLines(10, 12));
    await run(18, async (port) => {
      const sock = createSocket('udp4');
      await new Promise<void>((r) => { sock.send(`<4>${fwLine(500)}`, port, '127.0.0.1', () => { r(); }); });
      sock.close();
    });
    expect([...seen].sort((x, y) => x - y)).toEqual([...Array.from({ length: 12 }, (_, i) => i), 100, 101, 102, 103, 104, 500]);
  });
});
