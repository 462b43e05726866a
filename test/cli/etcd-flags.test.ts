// etcd's flags on `leaselab serve`: Go's flag syntax, each flag's kind (boolean or taking a value) as
// etcd 3.4.23 registers it (etcdmain/config.go), clear errors for bad values.
import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { EtcdFlagError, extractEtcdFlags } from '../../src/cli/etcd-flags.ts';

const etcdConfigSource = '/usr/share/gocode/src/go.etcd.io/etcd/etcdmain/config.go';

/** The flags etcdmain/config.go registers (`fs.BoolVar(&x, "name", …)`, `fs.Var(value, "name", …)`, …): each call's second argument. */
function goFlags(code: string): { name: string; boolean: boolean }[] {
  const flags: { name: string; boolean: boolean }[] = [];
  for (const call of code.matchAll(/\bfs\.(\w+)\(/g)) {
    const args: string[] = [];
    let depth = 1;
    let arg = '';
    let quote: string | undefined;
    for (let i = call.index + call[0].length; i < code.length && depth > 0; i++) {
      const c = code[i]!;
      if (quote !== undefined) {
        arg += c;
        if (c === '\\') arg += code[++i];
        else if (c === quote) quote = undefined;
      } else if (c === '"' || c === '`') {
        quote = c;
        arg += c;
      } else if (c === ',' && depth === 1) {
        args.push(arg.trim());
        arg = '';
      } else {
        if ('([{'.includes(c)) depth++;
        if (')]}'.includes(c)) depth--;
        if (depth > 0) arg += c;
      }
    }
    args.push(arg.trim());
    const name = /^"([a-z0-9-]+)"$/.exec(args[1] ?? '')?.[1];
    if (name !== undefined) flags.push({ name, boolean: call[1] === 'BoolVar' });
  }
  return flags;
}

/** How extractEtcdFlags takes `--flag next`: as a boolean (next stays), with a value (next taken), or not at all. */
function kindOf(flag: string): 'boolean' | 'value' | 'left' {
  try {
    const { rest } = extractEtcdFlags([`--${flag}`, 'next']);
    if (rest.includes(`--${flag}`)) return 'left';
    return rest.includes('next') ? 'boolean' : 'value';
  } catch (error) {
    // a value flag that read 'next' and refused it ("not a URL", "whole number")
    if (error instanceof EtcdFlagError && error.message.includes("'next'")) return 'value';
    throw error;
  }
}

describe('extractEtcdFlags', () => {
  it.skipIf(!existsSync(etcdConfigSource))(`takes each flag etcd 3.4.23 registers, of its kind (${etcdConfigSource})`, () => {
    const flags = goFlags(readFileSync(etcdConfigSource, 'utf8'));
    expect(flags.length).toBeGreaterThan(80);
    // serve reads these itself; --version and --config-file stay for serve to refuse (it prints no etcd version and reads no etcd config file)
    const leftToServe = [
      'data-dir',
      'snapshot-count',
      'auto-compaction-retention',
      'auto-compaction-mode',
      'experimental-watch-progress-notify-interval',
      'version',
      'config-file',
    ];
    // the TLS flags are checked together (the next test): alone, each is refused
    const tlsFlags = ['cert-file', 'key-file', 'trusted-ca-file', 'client-cert-auth'];
    const kinds = flags.filter((flag) => !tlsFlags.includes(flag.name)).map((flag) => `${flag.name}: ${kindOf(flag.name)}`);
    const expected = flags
      .filter((flag) => !tlsFlags.includes(flag.name))
      .map((flag) => `${flag.name}: ${leftToServe.includes(flag.name) ? 'left' : flag.boolean ? 'boolean' : 'value'}`);
    expect(kinds).toEqual(expected);
  });

  it("reads Go's flag syntax: one or two dashes, the value after = or as the next argument, a boolean bare or =true|false", () => {
    const parsed = extractEtcdFlags([
      '-name',
      'a',
      '--initial-cluster-token=t1',
      '--initial-advertise-peer-urls',
      'http://10.0.0.1:2380/',
      '--force-new-cluster=false',
      '--enable-v2',
    ]);
    expect(parsed.values).toEqual({ name: 'a', clusterToken: 't1', peerUrls: ['http://10.0.0.1:2380'] });
    expect(parsed.rest).toEqual([]);
    expect(parsed.warnings).toEqual([
      'ignoring etcd flag --force-new-cluster: leaselab does not serve it',
      'ignoring etcd flag --enable-v2: leaselab does not serve it',
    ]);
  });

  it('a value may hold = and may look like a flag; the last of a repeated flag wins', () => {
    const parsed = extractEtcdFlags(['--initial-cluster-token=a=b', '--name', '--weird', '--name=second']);
    expect(parsed.values).toEqual({ clusterToken: 'a=b', name: 'second' });
  });

  it('listens on the first client URL: localhost as 127.0.0.1, IPv6 unbracketed, 2379 when no port is given', () => {
    expect(extractEtcdFlags(['--listen-client-urls', 'http://localhost']).values.listen).toEqual({ host: '127.0.0.1', port: 2379, tls: false });
    expect(extractEtcdFlags(['--listen-client-urls', 'http://[::1]:12379']).values.listen).toEqual({ host: '::1', port: 12379, tls: false });
    const two = extractEtcdFlags(['--listen-client-urls', 'http://0.0.0.0:2379, http://10.1.1.1:2379']);
    expect(two.values.listen).toEqual({ host: '0.0.0.0', port: 2379, tls: false });
    expect(two.warnings).toEqual(['--listen-client-urls: serving on http://0.0.0.0:2379/ only (leaselab listens on one address), not http://10.1.1.1:2379/']);
  });

  it('takes the TLS flags together (three with a value, --client-cert-auth a boolean), and says what is missing', () => {
    const tls = extractEtcdFlags([
      '--listen-client-urls',
      'https://127.0.0.1:2379',
      '--cert-file',
      's.crt',
      '--key-file',
      's.key',
      '--trusted-ca-file',
      'ca.crt',
      '--client-cert-auth',
    ]);
    expect(tls.values.tls).toEqual({ certFile: 's.crt', keyFile: 's.key', trustedCaFile: 'ca.crt', clientCertAuth: true });
    expect(tls.warnings).toEqual([]);
    const plain = extractEtcdFlags(['--cert-file', 's.crt', '--key-file', 's.key']);
    expect(plain.warnings).toEqual(['--cert-file given but --listen-client-urls is not https://: serving plain HTTP, as etcd does']);
    expect(() => extractEtcdFlags(['--key-file', 's.key'])).toThrow('--cert-file and --key-file go together');
    expect(() => extractEtcdFlags(['--client-cert-auth'])).toThrow('--client-cert-auth and --trusted-ca-file need --cert-file and --key-file');
    expect(() => extractEtcdFlags(['--trusted-ca-file', 'ca.crt'])).toThrow('--client-cert-auth and --trusted-ca-file need --cert-file and --key-file');
  });

  it('refuses bad values, naming the flag and the value', () => {
    const refusals: [string[], string][] = [
      [['--name'], '--name needs a value'],
      [['--enable-v2=yes'], "--enable-v2 is true or false, got 'yes'"],
      [['--listen-client-urls', 'unix:///tmp/etcd.sock'], '--listen-client-urls: unix:// is not served (use http:// or https://)'],
      [['--advertise-client-urls', 'not a url'], "--advertise-client-urls: 'not a url' is not a URL"],
      [['--quota-backend-bytes', '-1'], "--quota-backend-bytes must be a whole number, got '-1'"],
      [['--election-timeout', '1e3'], "--election-timeout must be a whole number, got '1e3'"],
    ];
    for (const [args, message] of refusals) {
      const before = [...args];
      expect(() => extractEtcdFlags(args), args.join(' ')).toThrow(new EtcdFlagError(message));
      expect(args).toEqual(before);
    }
  });

  it('reads the numbers it serves', () => {
    expect(
      extractEtcdFlags(['--max-request-bytes', '1572864', '--quota-backend-bytes=2147483648', '--heartbeat-interval', '100', '--election-timeout', '1000'])
        .values,
    ).toEqual({ maxRequestBytes: 1572864, quotaBackendBytes: 2147483648, heartbeatIntervalMs: 100, electionTimeoutMs: 1000 });
  });
});
