import * as grpc from '@grpc/grpc-js';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { service as healthService } from 'grpc-health-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loopConfig } from '../loop/config.js';
import { callUnary, optimizerClient } from '../server/grpc/client.js';
import { clientOptions, type ClientSecurity } from '../server/grpc/security.js';
import { startServer, type OptimizerServer } from '../server/grpc/server.js';
import { copt } from './helpers/copt-process.js';

type Msg = Record<string, any>;
const TOKENS = ['s3cret-token-one', 'another-token-2'];
/** a plan of two windows: answered inline, cheap */
const PLAN = { windowLoads: [10, 20] };

/** A CA, a server certificate for 127.0.0.1 and a client certificate, made with openssl (EC P-256) in `dir`. */
function makeCertificates(dir: string): Record<'ca' | 'serverCert' | 'serverKey' | 'clientCert' | 'clientKey', Buffer> {
  const ssl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
  const key = (name: string) => ssl('req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', `/CN=${name}`);
  ssl('req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', 'ca.key', '-out', 'ca.crt', '-days', '2', '-subj', '/CN=copt-test-ca');
  writeFileSync(join(dir, 'server.ext'), 'subjectAltName=IP:127.0.0.1\n');
  writeFileSync(join(dir, 'client.ext'), 'extendedKeyUsage=clientAuth\n');
  for (const name of ['server', 'client']) {
    key(name);
    ssl('x509', '-req', '-in', `${name}.csr`, '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-out', `${name}.crt`, '-days', '2', '-extfile', `${name}.ext`);
  }
  const read = (f: string) => readFileSync(join(dir, f));
  return { ca: read('ca.crt'), serverCert: read('server.crt'), serverKey: read('server.key'), clientCert: read('client.crt'), clientKey: read('client.key') };
}

/** The health service's answer for copt.v1.Optimizer, over the given credentials. */
function healthOf(address: string, security?: ClientSecurity): Promise<string> {
  const Health = grpc.makeClientConstructor(healthService, 'grpc.health.v1.Health');
  const { credentials } = clientOptions(security);
  const health = new Health(address, credentials) as unknown as grpc.Client & Msg;
  return new Promise<string>((resolve, reject) => health.check({ service: 'copt.v1.Optimizer' }, { deadline: new Date(Date.now() + 5000) }, (err: Error | null, res: Msg) => (err ? reject(err) : resolve(res.status)))).finally(() => health.close());
}

/** A PlanReplicas call's status code (0: answered), over a client made with `security`. */
async function planStatus(address: string, security?: ClientSecurity, metadata?: Record<string, string>): Promise<{ code: number; details: string }> {
  const client = optimizerClient(address, security);
  try {
    await new Promise<Msg>((resolve, reject) => {
      const md = new grpc.Metadata();
      for (const [k, v] of Object.entries(metadata ?? {})) md.set(k, v);
      client.PlanReplicas(PLAN, md, { deadline: new Date(Date.now() + 5000) }, (err: grpc.ServiceError | null, res: Msg) => (err ? reject(err) : resolve(res)));
    });
    return { code: 0, details: '' };
  } catch (err) {
    return { code: (err as grpc.ServiceError).code, details: (err as grpc.ServiceError).details };
  } finally {
    client.close();
  }
}

describe('security: bearer tokens and TLS over real sockets', () => {
  let dir: string;
  let certs: ReturnType<typeof makeCertificates>;
  let plain: OptimizerServer;
  let mutual: OptimizerServer;
  let tls: OptimizerServer;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'copt-security-'));
    certs = makeCertificates(dir);
    plain = await startServer({ address: '127.0.0.1:0', workers: 1, tokens: TOKENS });
    tls = await startServer({ address: '127.0.0.1:0', workers: 1, tls: { cert: certs.serverCert, key: certs.serverKey }, tokens: TOKENS });
    mutual = await startServer({ address: '127.0.0.1:0', workers: 1, tls: { cert: certs.serverCert, key: certs.serverKey, clientCa: certs.ca }, healthAddress: '127.0.0.1:0' });
  }, 60_000);

  afterAll(async () => {
    await Promise.all([plain?.shutdown(), tls?.shutdown(), mutual?.shutdown()]);
    rmSync(dir, { recursive: true, force: true });
  });

  it('refuses a call without a token or with a wrong one (UNAUTHENTICATED), answers one with a token, and keeps health open', async () => {
    const none = await planStatus(plain.address);
    expect(none).toEqual({ code: grpc.status.UNAUTHENTICATED, details: 'this server requires a bearer token: send metadata "authorization: Bearer <token>"' });
    const wrong = await planStatus(plain.address, { token: 's3cret-token-onf' });
    expect(wrong).toEqual({ code: grpc.status.UNAUTHENTICATED, details: 'the bearer token is not one this server accepts' });
    expect(await planStatus(plain.address, undefined, { authorization: 'Basic czNjcmV0' })).toMatchObject({ code: grpc.status.UNAUTHENTICATED, details: 'the authorization metadata must be "Bearer <token>"' });
    expect(await planStatus(plain.address, { token: TOKENS[0] })).toEqual({ code: 0, details: '' });
    expect(await planStatus(plain.address, { token: TOKENS[1] })).toEqual({ code: 0, details: '' });
    expect(await healthOf(plain.address)).toBe('SERVING');
    // the token goes first: an unauthenticated caller's garbage is not even decoded
    const client = optimizerClient(plain.address);
    const answer = await callUnary(client, 'PlanReplicas', { windowLoads: [-1] }).catch((e: grpc.ServiceError) => e);
    client.close();
    expect((answer as grpc.ServiceError).code).toBe(grpc.status.UNAUTHENTICATED);
  });

  it('serves TLS to a client that trusts its CA, with the token still asked for', async () => {
    expect(await planStatus(tls.address, { ca: certs.ca, token: TOKENS[0] })).toEqual({ code: 0, details: '' });
    expect((await planStatus(tls.address, { ca: certs.ca })).code).toBe(grpc.status.UNAUTHENTICATED);
    // a plaintext client gets no answer from a TLS port
    expect((await planStatus(tls.address, { token: TOKENS[0] })).code).toBe(grpc.status.UNAVAILABLE);
    expect(await healthOf(tls.address, { ca: certs.ca })).toBe('SERVING');
  });

  it('with mutual TLS refuses a client without a certificate in the handshake and answers one with', async () => {
    expect((await planStatus(mutual.address, { ca: certs.ca })).code).toBe(grpc.status.UNAVAILABLE);
    await expect(healthOf(mutual.address, { ca: certs.ca })).rejects.toMatchObject({ code: grpc.status.UNAVAILABLE });
    expect(await planStatus(mutual.address, { ca: certs.ca, cert: certs.clientCert, key: certs.clientKey })).toEqual({ code: 0, details: '' });
    expect(await healthOf(mutual.address, { ca: certs.ca, cert: certs.clientCert, key: certs.clientKey })).toBe('SERVING');
  });

  it('answers probes on a plaintext health-only port beside a mutual-TLS one, and nothing else there', async () => {
    expect(mutual.healthAddress).toMatch(/^127\.0\.0\.1:\d+$/);
    expect(mutual.healthAddress).not.toBe(mutual.address);
    expect(await healthOf(mutual.healthAddress!)).toBe('SERVING');
    expect((await planStatus(mutual.healthAddress!)).code).toBe(grpc.status.UNIMPLEMENTED);
  });

  it('the loop calls a secured server with the CA, certificate and token its configuration names', async () => {
    writeFileSync(join(dir, 'token'), `# the loop's\n${TOKENS[1]}\n`);
    const config = loopConfig({ server: mutual.address, serverSecurity: { ca: 'ca.crt', cert: 'client.crt', key: 'client.key', tokenFile: 'token' }, replicaServices: [{ name: 'x' }] }, dir);
    expect(config.serverSecurity.token).toBe(TOKENS[1]);
    const client = optimizerClient(mutual.address, config.serverSecurity);
    expect((await callUnary(client, 'PlanReplicas', PLAN)).replicas).toHaveLength(2);
    client.close();
    expect(() => loopConfig({ serverSecurity: { cert: 'client.crt' }, replicaServices: [{ name: 'x' }] }, dir)).toThrow('serverSecurity.key = (missing): must be given with serverSecurity.cert');
    expect(() => loopConfig({ serverSecurity: { tokenFile: 'nope' }, replicaServices: [{ name: 'x' }] }, dir)).toThrow('serverSecurity.tokenFile = "nope": cannot be read (ENOENT)');
  });

  it('copt serve: bad security flags exit 2 naming the flag', async () => {
    writeFileSync(join(dir, 'empty-tokens'), '# nobody\n\n');
    const cases: [string[], RegExp][] = [
      [['--tls-cert', join(dir, 'server.crt')], /give --tls-cert and --tls-key together \(only --tls-cert was given\)/],
      [['--tls-client-ca', join(dir, 'ca.crt')], /--tls-client-ca .*: needs --tls-cert and --tls-key/],
      [['--tls-cert', join(dir, 'server.key'), '--tls-key', join(dir, 'server.key')], /--tls-cert .*server\.key: holds no PEM certificate/],
      [['--tls-cert', join(dir, 'server.crt'), '--tls-key', join(dir, 'nothing.key')], /--tls-key .*nothing\.key: cannot be read \(ENOENT\)/],
      [['--auth-tokens', join(dir, 'empty-tokens')], /--auth-tokens .*empty-tokens: holds no token/],
    ];
    for (const [flags, message] of cases) {
      const r = await copt('serve', '--port', '0', ...flags);
      expect(r.code, r.stderr).toBe(2);
      expect(r.stderr).toMatch(message);
    }
  }, 60_000);
});
