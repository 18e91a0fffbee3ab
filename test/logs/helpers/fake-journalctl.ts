#!/usr/bin/env -S node --import tsx
// Stand-in for journalctl in tests: prints the JSON entries of $FAKE_JOURNAL (one per line) after --after-cursor,
// follows the file with -f, and exits with status 1 after $FAKE_EXIT_AFTER lines (to test restarts).
import { readFileSync } from 'node:fs';

const args = process.argv.slice(2);
const after = args.find((a) => a.startsWith('--after-cursor='))?.slice(15) ?? null;
const follow = args.includes('-f');
const exitAfter = Number(process.env.FAKE_EXIT_AFTER ?? 'Infinity');
const journal = process.env.FAKE_JOURNAL ?? '';
let printed = 0;
let seen = after === null;
let done = 0;
function pump(): void {
  const lines = readFileSync(journal, 'utf8').split('\n').filter(Boolean);
  for (let i = done; i < lines.length; i++) {
    const cursor = (JSON.parse(lines[i]!) as { __CURSOR: string }).__CURSOR;
    if (!seen) { if (cursor === after) seen = true; continue; }
    process.stdout.write(`${lines[i]!}\n`);
    if (++printed >= exitAfter) process.exit(1);
  }
  done = lines.length;
}
pump();
if (follow) setInterval(pump, 20);
