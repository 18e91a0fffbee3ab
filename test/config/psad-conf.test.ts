// psad.conf import: psad's syntax and precedence, $VAR expansion, the FW_SEARCH quirk, YES/NO, errors with key/file/line,
// multi-key settings, and mapping into every area that declares a psad key.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { configLayersFromArgs } from '../../src/cli/load-config.ts';
import { loadConfig, resolve } from '../../src/config/load.ts';
import { importPsadConf } from '../../src/config/psad-conf.ts';
import { ProbewatchError } from '../../src/domain/errors.ts';

const dir = mkdtempSync(join(tmpdir(), 'pw-psadconf-'));
afterAll(() => { rmSync(dir, { recursive: true, force: true }); });
const file = (name: string, body: string): string => {
  const p = join(dir, name);
  writeFileSync(p, body);
  return p;
};
const STOCK = new URL('../../fixtures/psad/psad.conf', import.meta.url).pathname;

function load(main: string, overrides: string[] = []) {
  const imp = importPsadConf(main, overrides);
  return { imp, ...resolve(imp.layers) };
}

function err(fn: () => unknown): ProbewatchError {
  try {
    fn();
  } catch (e) {
    if (e instanceof ProbewatchError) return e;
    throw e;
  }
  throw new Error('expected an error');
}

describe('psad.conf import', () => {
  it('maps the stock psad.conf onto psad 2.4.6 defaults and turns compatibility on', () => {
    const { config, imp } = load(STOCK);
    const d = config.detect;
    expect(d.compat).toBe(true);
    expect(d.dangerLevels).toEqual([5, 15, 150, 1500, 10000]);
    expect(d.uniqueHosts).toEqual([10, 20, 50, 100, 500]);
    expect([d.portRangeScanThreshold, d.portRangeSweepThreshold, d.protocolScanThreshold]).toEqual([1, 0, 5]);
    expect([d.persistence, d.scanTimeout, d.persistenceCtrThreshold, d.checkInterval]).toEqual([false, 3600, 5, 5]);
    expect([d.ignorePorts, d.ignoreProtocols, d.ignoreInterfaces, d.ignoreLogPrefixes]).toEqual([[], [], [], '']);
    expect([d.fwSearchAll, d.fwMsgSearch, d.ignoreConntrackBugPkts, d.enableIpv6Detection, d.expectTcpOptions]).toEqual([true, ['DROP'], true, true, true]);
    expect(d.signaturesFile).toBe('/etc/psad/signatures');
    expect(d.autoDlFile).toBe('/etc/psad/auto_dl');
    expect(d.homeNet).toEqual(['any']);
    expect(d.signatureVariables).toContain('HTTP_PORTS=80');
    expect(d.signatureVariables.some((v) => v.startsWith('AIM_SERVERS=[64.12.24.0/24'))).toBe(true);
    // other areas take their keys too
    expect(config.respond.autoBlockTimeout).toBe(3600);
    expect(imp.unmapped).toContain('PSAD_DIR');
  });

  it('takes the first definition, reads override files first, expands $VARs', () => {
    const main = file('main.conf', 'DANGER_LEVEL1 7;\nDANGER_LEVEL1 9;\nROOT /opt;\nSIGS_FILE $ROOT/sigs;\nINSTALL_ROOT /;\nAUTO_DL_FILE $INSTALL_ROOT/etc/auto_dl;\nSCAN_TIMEOUT 60; # comment\n');
    const over = file('over.conf', 'SCAN_TIMEOUT 120;\nDL2_UNIQUE_HOSTS 33;\n');
    const { config, origins } = load(main, [over]);
    expect(config.detect.dangerLevels).toEqual([7, 15, 150, 1500, 10000]);
    expect(config.detect.uniqueHosts).toEqual([10, 33, 50, 100, 500]);
    expect(config.detect.scanTimeout).toBe(120);
    expect(config.detect.signaturesFile).toBe('/opt/sigs');
    expect(config.detect.autoDlFile).toBe('/etc/auto_dl');
    expect(origins.get('detect.scanTimeout')).toEqual({ source: over, line: 1 });
  });

  it('reads FW_SEARCH_ALL and FW_MSG_SEARCH from the main file only (psad quirk), keeping edge spaces', () => {
    const main = file('fw.conf', 'FW_SEARCH_ALL N;\nFW_MSG_SEARCH DROP ;\nFW_MSG_SEARCH REJECT;\n');
    const over = file('fw-over.conf', 'FW_SEARCH_ALL Y;\nFW_MSG_SEARCH ACCEPT;\n');
    const { config, imp } = load(main, [over]);
    expect(config.detect.fwSearchAll).toBe(false);
    expect(config.detect.fwMsgSearch).toEqual(['DROP[ ]', 'REJECT']);
    expect(imp.warnings.some((w) => w.includes('FW_MSG_SEARCH') && w.includes('main psad.conf'))).toBe(true);
    const none = load(file('fw2.conf', 'FW_SEARCH_ALL N;\n'));
    expect(none.config.detect.fwMsgSearch).toEqual(['DROP']);
  });

  it('treats ENABLE_ YES/NO as psad does (neither Y nor N)', () => {
    const { config, imp } = load(file('yes.conf', 'ENABLE_IPV6_DETECTION YES;\nENABLE_PERSISTENCE NO;\n'));
    expect(config.detect.enableIpv6Detection).toBe(false);
    expect(config.detect.persistence).toBe(true);
    expect(imp.warnings.length).toBe(2);
  });

  it('rejects bad values with key, file and line (exit code 2)', () => {
    const bad = file('bad.conf', 'HOME_NET any;\nDANGER_LEVEL3 lots;\n');
    const e = err(() => importPsadConf(bad));
    expect(e.code).toBe('PW_ERR_CONFIG_VALUE');
    expect(e.exitCode).toBe(2);
    expect(e.detail).toEqual({ key: 'DANGER_LEVEL3', file: bad, line: 2 });
    const undef = file('undef.conf', 'SIGS_FILE $NOPE/x;\n');
    expect(err(() => importPsadConf(undef)).detail).toEqual({ key: 'SIGS_FILE', file: undef, line: 1 });
    const en = file('en.conf', 'ENABLE_AUTO_IDS maybe;\n');
    expect(err(() => importPsadConf(en)).detail).toEqual({ key: 'ENABLE_AUTO_IDS', file: en, line: 1 });
    expect(err(() => importPsadConf(join(dir, 'missing.conf'))).code).toBe('PW_ERR_CONFIG');
  });

  it('resolves relative data-file paths against the file naming them, and lets YAML, env and flags override', () => {
    const main = file('rel.conf', 'AUTO_DL_FILE auto_dl;\nMIN_DANGER_LEVEL 2;\n');
    const yaml = file('pw.yaml', 'detect:\n  compat: false\n');
    const opts = configLayersFromArgs({ 'psad-conf': main, config: yaml });
    const { config } = loadConfig({ ...opts, env: { PROBEWATCH_MAX_HOT_SOURCES: '5000' } });
    expect(config.detect.autoDlFile).toBe(join(dir, 'auto_dl'));
    expect(config.detect.minDangerLevel).toBe(2);
    expect(config.respond.minDangerLevel).toBe(2);
    expect(config.detect.compat).toBe(false);
    expect(config.detect.maxHotSources).toBe(5000);
  });

  it('--psad-override takes a comma list, read before the main file', () => {
    const main = file('m.conf', 'CHECK_INTERVAL 5;\n');
    const a = file('a.conf', 'CHECK_INTERVAL 7;\n');
    const b = file('b.conf', 'CHECK_INTERVAL 9;\nSCAN_TIMEOUT 10;\n');
    const { config } = loadConfig({ ...configLayersFromArgs({ 'psad-conf': main, 'psad-override': [`${a},${b}`] }), env: {} });
    expect(config.detect.checkInterval).toBe(7);
    expect(config.detect.scanTimeout).toBe(10);
  });
});
