// The dashboard in headless Chromium (Debian's /usr/bin/chromium, playwright-core) against a real server on 127.0.0.1:
// every view renders its data, filters and navigation work, no request leaves the server, no console errors.
/// <reference lib="dom" />
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { chromium } from 'playwright-core';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hourOf } from '../../src/domain/dashboard.ts';
import { buildUi } from '../../scripts/build-ui.ts';
import { ADMIN, READ, startDashboardServer } from './server.ts';
import type { DashboardServer } from './server.ts';

const CHROMIUM = '/usr/bin/chromium';
const ARTIFACTS = resolve('test-artifacts');
const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
  '--disable-component-update', '--disable-sync'];

if (!existsSync(CHROMIUM)) {
  // loud, never silent: the proof of issue 7 needs Debian's chromium (apt-get install chromium)
  console.error(`\n*** SKIPPING browser tests: ${CHROMIUM} is missing (apt-get install chromium) ***\n`);
}

let srv: DashboardServer;
let ctx: BrowserContext;
let page: Page;
let profileDir: string;
let uiDir: string;
const foreign: string[] = [];
const problems: string[] = [];

async function shot(name: string, fullPage = true): Promise<void> {
  await page.screenshot({ path: join(ARTIFACTS, `ui-${name}.png`), fullPage });
}

async function signIn(token: string, navigate = true): Promise<void> {
  if (navigate) await page.goto(`${srv.url}/`);
  await page.waitForSelector('#signin');
  await page.fill('#token', token);
  await page.click('#signin button[type=submit]');
  // signed in: the header appears and the route in the address bar renders (the overview, or the page one was on)
  await page.waitForSelector('#signout').catch(async (e: unknown) => {
    throw new Error(`${String(e)}\nsign-in: ${(await page.textContent('#main'))?.slice(0, 300) ?? ''}`);
  });
}

async function overviewReady(): Promise<void> {
  await page.waitForSelector('#card-sources').catch(async (e: unknown) => {
    await shot('failure', false);
    throw new Error(`${String(e)}\nURL ${page.url()}\nmain: ${(await page.textContent('#main'))?.slice(0, 300) ?? ''}`);
  });
  await page.waitForSelector('#timeline canvas');
  await page.waitForSelector('#map svg path.has');
  await page.waitForSelector('#ports svg rect.cell');
  await page.waitForSelector('#facet-os li');
  await page.waitForSelector('table.sources tbody tr[data-ip]');
}

// the rows of the page on screen, once the table answers the URL's route (a filter or sort change re-renders it on
// hashchange) and is no longer aria-busy (a page of rows in flight)
const tableSettled = (): boolean => {
  const t = document.querySelector('table.sources');
  return t !== null && !t.hasAttribute('aria-busy') && t.getAttribute('data-for') === location.hash;
};
const rows = async (): Promise<{ ip: string; dl: number; country: string; packets: number }[]> => {
  await page.waitForFunction(tableSettled);
  return page.$$eval('table.sources tbody tr[data-ip]', (trs) => trs.map((tr) => ({
    ip: tr.getAttribute('data-ip') ?? '',
    dl: Number((tr.querySelector('.dl')?.textContent ?? '').replace('DL ', '')),
    country: tr.children[2]?.textContent ?? '',
    packets: Number((tr.children[7]?.textContent ?? '').replace(/[^0-9]/g, '')),
  })));
};

describe.skipIf(!existsSync(CHROMIUM))('dashboard in Chromium', () => {
  beforeAll(async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    uiDir = mkdtempSync(join(tmpdir(), 'pw-ui-dist-'));
    await buildUi(uiDir);
    srv = await startDashboardServer({ seed: 42, sources: 300, hours: 30, uiDir });
    profileDir = mkdtempSync(join(tmpdir(), 'pw-chromium-'));
    ctx = await chromium.launchPersistentContext(profileDir, {
      executablePath: CHROMIUM, args: ARGS, viewport: { width: 1440, height: 900 }, timezoneId: 'Europe/Amsterdam', locale: 'en-GB',
    });
    page = ctx.pages()[0] ?? await ctx.newPage();
    page.setDefaultTimeout(10_000);
    page.on('request', (r) => { if (!r.url().startsWith(`${srv.url}/`)) foreign.push(r.url()); });
    page.on('console', (m) => { if (m.type() === 'error') problems.push(`console: ${m.text()}`); });
    page.on('pageerror', (e) => { problems.push(`page error: ${e.message}`); });
    await ctx.route(/^(?!http:\/\/127\.0\.0\.1:)/, (route) => route.abort());
  }, 120_000);

  afterAll(async () => {
    await ctx.close();
    await srv.close();
    rmSync(profileDir, { recursive: true, force: true });
    rmSync(uiDir, { recursive: true, force: true });
  });

  it('redirects / to /ui/, serves the page with a strict CSP and asks for a token', async () => {
    const res = await page.goto(`${srv.url}/`);
    expect(page.url()).toBe(`${srv.url}/ui/`);
    const csp = res?.headers()['content-security-policy'] ?? '';
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("style-src 'self'");
    expect(csp).not.toContain('unsafe-inline');
    await page.waitForSelector('#signin');
    // data is never public: without a token the API refuses
    const r = await page.evaluate(async () => (await fetch('/dashboard/overview')).status);
    expect(r).toBe(401);
    await page.fill('#token', 'not-a-valid-token-at-all');
    await page.click('#signin button[type=submit]');
    await page.waitForFunction(() => (document.getElementById('signin-error')?.textContent ?? '').includes('not accepted'));
    await shot('signin', false);
    // the refusals above (and the page's "no session yet" probe) are the test's own doing; from here the console must stay clean
    problems.length = 0;
  });

  it('overview: cards, timeline, map, heat map, breakdowns and table show the store', async () => {
    await signIn(READ, false);
    await overviewReady();
    const sim = srv.sim;
    expect(await page.textContent('#card-sources .value')).toBe(String(sim.sources.size));
    const now = hourOf(Date.now());
    let active = 0;
    for (const s of sim.sources.values()) if (hourOf(Date.parse(s.profile.lastSeen)) >= now - 23) active++;
    expect(await page.textContent('#card-active .value')).toBe(String(active));
    const byLevel = [0, 0, 0, 0, 0, 0];
    for (const s of sim.sources.values()) byLevel[s.profile.dangerLevel]!++;
    const shown = await page.$$eval('#card-levels li .n', (els) => els.map((e) => Number(e.textContent.replace(/[^0-9]/g, ''))));
    expect(shown).toEqual(byLevel);
    // timeline: a uPlot chart with the three series
    const legend = await page.$$eval('#timeline .u-legend .u-series th', (els) => els.map((e) => e.textContent.trim()));
    expect(legend).toEqual(expect.arrayContaining(['Packets', 'New sources', 'Reached DL 4+']));
    // map: every country with sources is coloured, and the colours differ from the empty land
    const countries = new Set([...sim.sources.values()].filter((s) => hourOf(Date.parse(s.profile.lastSeen)) >= now - 23).map((s) => s.profile.geo?.country).filter(Boolean));
    const coloured = await page.$$eval('#map path.has', (ps) => ps.map((p) => ({ code: p.getAttribute('data-code'), fill: getComputedStyle(p).fill })));
    expect(new Set(coloured.map((c) => c.code))).toEqual(countries);
    const empty = await page.$eval('#map path.country:not(.has)', (p) => getComputedStyle(p).fill);
    for (const c of coloured) expect(c.fill).not.toBe(empty);
    // heat map: 15 ports × 24 hours, busy cells shaded
    expect(await page.locator('#ports svg text.heat-label').count()).toBe(15);
    expect(await page.locator('#ports svg rect.cell').count()).toBe(15 * 24);
    expect(await page.locator('#ports svg rect.cell:not(.h0)').count()).toBeGreaterThan(20);
    expect(await page.locator('#ports .ports-bar li.bar').count()).toBe(15);
    // breakdowns: OS labels with unknown and the NMap tool, scan types, signatures, protocols, ASNs
    const os = await page.$$eval('#facet-os .bar-label', (els) => els.map((e) => e.textContent));
    expect(os).toEqual(expect.arrayContaining(['unknown', 'NMap SYN scan', 'Linux 3.11 and newer']));
    expect(await page.$$eval('#facet-tools .bar-label', (els) => els.map((e) => e.textContent))).toContain('NMap');
    expect(await page.locator('#facet-scans li').count()).toBe(2);
    expect(await page.locator('#facet-signatures li').count()).toBeGreaterThan(0);
    expect(await page.$$eval('#facet-protocols .bar-label', (els) => els.map((e) => e.textContent).sort())).toEqual(['tcp', 'udp']);
    expect(await page.locator('#facet-asn li').count()).toBe(7);
    // table: first page of 25, newest first
    const first = await rows();
    expect(first).toHaveLength(25);
    await shot('overview-light');
  });

  it('table: paging, sorting and filters', async () => {
    const p1 = await rows();
    await page.click('.pager button:has-text("Next")');
    await page.waitForFunction(() => document.querySelector('.page-no')?.textContent === 'Page 2');
    const p2 = await rows();
    expect(p2).toHaveLength(25);
    expect(p2.some((r) => p1.some((x) => x.ip === r.ip))).toBe(false);
    await page.click('.pager button:has-text("Previous")');
    await page.waitForFunction(() => document.querySelector('.page-no')?.textContent === 'Page 1');
    // sort by packets, descending
    await page.click('th button.sort:has-text("Packets")');
    await page.waitForFunction(() => location.hash.includes('sort=-packets'));
    await page.waitForSelector('th button.sort.desc');
    const sorted = await rows();
    const heaviest = Math.max(...[...srv.sim.sources.values()].map((s) => s.profile.packets));
    expect(sorted[0]!.packets).toBe(heaviest);
    for (let i = 1; i < sorted.length; i++) expect(sorted[i - 1]!.packets).toBeGreaterThanOrEqual(sorted[i]!.packets);
    // minimum danger level 4
    await page.selectOption('select[name=minDangerLevel]', '4');
    await page.waitForFunction(() => location.hash.includes('minDangerLevel=4'));
    await page.waitForSelector('table.sources tbody tr[data-ip]');
    const dl4 = await rows();
    const want = [...srv.sim.sources.values()].filter((s) => s.profile.dangerLevel >= 4).length;
    expect(dl4.length).toBe(Math.min(25, want));
    for (const r of dl4) expect(r.dl).toBeGreaterThanOrEqual(4);
    // port and OS filters
    await page.click('button:has-text("Clear filters")');
    await page.waitForFunction(() => !location.hash.includes('minDangerLevel'));
    await page.fill('input[name=os]', 'unknown');
    await page.press('input[name=os]', 'Enter');
    await page.locator('input[name=os]').dispatchEvent('change');
    await page.waitForFunction(() => location.hash.includes('os=unknown'));
    await page.waitForFunction(tableSettled);
    const unknown = await page.$$eval('table.sources tbody tr[data-ip] td:nth-child(5)', (tds) => tds.map((t) => t.textContent));
    expect(unknown.length).toBeGreaterThan(0);
    for (const t of unknown) expect(t).toBe('unknown');
    await page.click('button:has-text("Clear filters")');
    await page.waitForFunction(() => !location.hash.includes('os='));
  });

  it('map: clicking a country filters the table', async () => {
    await overviewReady();
    const code = await page.$eval('#map path.has[data-code="DE"]', (p) => p.getAttribute('data-code'));
    expect(code).toBe('DE');
    await page.click('#map path.has[data-code="DE"]', { force: true });
    await page.waitForFunction(() => location.hash.includes('country=DE'));
    await page.waitForSelector('#map path.selected[data-code="DE"]');
    await page.waitForSelector('table.sources tbody tr[data-ip]');
    const r = await rows();
    const germans = [...srv.sim.sources.values()].filter((s) => s.profile.geo?.country === 'DE').length;
    expect(r.length).toBe(Math.min(25, germans));
    for (const x of r) expect(x.country).toBe('DE');
    await page.click('button:has-text("Clear filters")');
  });

  it('source page: profile, charts, ports, signatures, whois, enrichment; back to the overview', async () => {
    const loud = [...srv.sim.sources.values()].filter((s) => s.profile.dangerLevel >= 4 && s.profile.whois)[0]!.profile;
    await page.goto(`${srv.url}/ui/#/source/${encodeURIComponent(loud.ip)}`);
    await page.waitForSelector('#source-ip');
    expect(await page.textContent('#source-ip')).toBe(loud.ip);
    expect(await page.textContent('.source-head .dl')).toBe(`DL ${loud.dangerLevel}`);
    await page.waitForSelector('#level-chart canvas');
    await page.waitForSelector('#packets-chart canvas');
    expect(await page.$$eval('#level-chart .u-legend .u-series th', (els) => els.map((e) => e.textContent.trim()))).toContain('Danger level');
    const portRows = await page.locator('#ports-table tbody tr').count();
    expect(portRows).toBe(Math.min(20, loud.ports.length));
    expect(await page.locator('#sig-table tbody tr').count()).toBe(loud.signatures.length);
    expect(await page.locator('#os-history tbody tr').count()).toBe(loud.os.history.length);
    // whois is folded, and its attacker-controlled text stays text
    expect(await page.$eval('details.whois', (d) => (d as HTMLDetailsElement).open)).toBe(false);
    await page.click('details.whois summary');
    expect(await page.textContent('details.whois pre')).toContain('<script>alert(1)</script>');
    expect(await page.locator('details.whois pre script').count()).toBe(0);
    expect(await page.locator('#enrich-table tbody tr').count()).toBe(4);
    // a read token sees no block controls
    expect(await page.locator('#block-btn').count()).toBe(0);
    // times: local text, UTC on hover
    const title = await page.getAttribute('.facts time', 'title');
    expect(title).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC$/);
    await shot('source-light');
    await page.click('button.back');
    await page.waitForSelector('#card-sources');
  });

  it('live strip: a danger-level change arrives over the stream', async () => {
    await page.goto(`${srv.url}/ui/#/`);
    await overviewReady();
    await page.waitForSelector('#live .live-dot.up');
    const ip = '198.51.100.250';
    const t = Date.now() - 5000;
    srv.push(Array.from({ length: 1600 }, (_, i) => ({ ip, time: t + i, proto: 'tcp' as const, port: 22 })));
    await page.waitForSelector(`#live-list li[title^="${ip}:"]`, { timeout: 15_000 });
    const chip = await page.textContent(`#live-list li[title^="${ip}:"]`);
    expect(chip).toContain('DL 4');
    await page.click(`#live-list li[title^="${ip}:"]`);
    await page.waitForFunction((x) => document.getElementById('source-ip')?.textContent === x, ip);
  });

  it('admin token: block and unblock from the source page', async () => {
    await page.click('#signout');
    await page.waitForSelector('#signin');
    await signIn(ADMIN, false);
    const ip = [...srv.sim.sources.keys()][3]!;
    await page.goto(`${srv.url}/ui/#/source/${encodeURIComponent(ip)}`);
    await page.waitForSelector('#block-btn');
    await page.selectOption('#block-controls select', '1d');
    await page.click('#block-btn');
    await page.waitForFunction(() => (document.querySelector('#block-controls .status')?.textContent ?? '').startsWith('Blocked'));
    expect(srv.blocks.records.get(ip)?.reason).toBe('manual block from the dashboard');
    await page.waitForSelector('#unblock-btn:not([disabled])');
    await shot('source-admin', false);
    await page.click('#unblock-btn');
    await page.waitForFunction(() => document.querySelector('#block-controls .status')?.textContent === 'Unblocked.');
    expect(srv.blocks.records.has(ip)).toBe(false);
  });

  it('dark theme, a longer window, and a phone-sized screen', async () => {
    await page.goto(`${srv.url}/ui/#/`);
    await overviewReady();
    await page.click('#theme');
    await page.waitForFunction(() => document.documentElement.dataset.theme === 'dark');
    await overviewReady();
    const bg = await page.evaluate(() => getComputedStyle(document.body).backgroundColor);
    expect(bg).toBe('rgb(11, 16, 23)');
    await shot('overview-dark');
    await page.selectOption('#window', '7d');
    await page.waitForFunction(() => location.hash.includes('window=7d'));
    await overviewReady();
    expect(await page.locator('#ports svg rect.cell').count()).toBe(15 * 168);
    const loud = [...srv.sim.sources.values()].find((s) => s.profile.dangerLevel >= 4)!.profile;
    await page.goto(`${srv.url}/ui/#/source/${encodeURIComponent(loud.ip)}`);
    await page.waitForSelector('#packets-chart canvas');
    await shot('source-dark');
    await page.setViewportSize({ width: 390, height: 844 });
    await page.goto(`${srv.url}/ui/#/`);
    await overviewReady();
    // nothing wider than the screen except the scrollable table
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth);
    expect(overflow).toBeLessThanOrEqual(390);
    await shot('phone-dark', false);
    await shot('phone-dark-full');
    await page.click('#theme');
    await page.waitForFunction(() => document.documentElement.dataset.theme === 'light');
    await overviewReady();
    await shot('phone-light', false);
    await page.goto(`${srv.url}/ui/#/source/${encodeURIComponent(loud.ip)}`);
    await page.waitForSelector('#packets-chart canvas');
    await shot('phone-source', false);
    await page.setViewportSize({ width: 1440, height: 900 });
  });

  it('made no request to any other host and logged no console error', () => {
    expect(foreign).toEqual([]);
    expect(problems).toEqual([]);
  });
});
