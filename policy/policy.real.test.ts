/**
 * Equivalence on a real kube-apiserver: the exported policy (and no webhook) decides every case of
 * the corpus and a few thousand generated ones exactly as the webhook's review does, with the
 * webhook's reasons in its messages and warnings, and within the CEL cost budget for the largest
 * annotation set the API server accepts (256 KiB).
 */
import { request } from 'node:https';
import fc from 'fast-check';
import yaml from 'js-yaml';
import { CEL_REASONS, type Finding } from '../core/annotations';
import { reviewAdmission } from '../webhook/review';
import { POLICY_CORPUS, serviceFor, type PolicyCase } from '../test/support/policy/corpus';
import { startRealKube, type RealKube } from '../test/real/servers/kube';
import { eventually } from '../test/support/wait';
import { exportPolicy } from './export';

const NS = 'eq';
const K = 'consul.hashicorp.com/';
let kube: RealKube;

interface Answer {
  status: number;
  message: string;
  warnings: string[];
}

/** One API call as admin, with the Warning headers the API server sends. */
function call(method: string, path: string, body: unknown): Promise<Answer> {
  const url = new URL(path, kube.server);
  const data = JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      {
        method,
        ca: kube.caPem,
        headers: {
          authorization: `Bearer ${kube.adminToken}`,
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(data),
        },
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (text += chunk));
        res.on('end', () => {
          const header = res.headers.warning;
          const warnings = (Array.isArray(header) ? header : header ? [header] : []).flatMap((h) =>
            // RFC 7234 warn-value: 299 - "text", several per header separated by commas.
            [...h.matchAll(/299 - "((?:[^"\\]|\\.)*)"/g)].map((m) => m[1]!.replace(/\\(.)/g, '$1')),
          );
          let message = '';
          try {
            message = (JSON.parse(text) as { message?: string }).message ?? '';
          } catch {
            message = text;
          }
          resolve({ status: res.statusCode ?? 0, message, warnings });
        });
      },
    );
    req.on('error', reject);
    req.end(data);
  });
}

const created: Array<{ name: string; c: PolicyCase }> = [];

/** What the webhook decides for the same request (the object as the API server defaults it). */
function webhook(c: PolicyCase, name: string) {
  const object = serviceFor(c, name, NS, c.annotations);
  const oldObject = c.oldAnnotations ? serviceFor(c, name, NS, c.oldAnnotations) : undefined;
  return reviewAdmission(
    {
      uid: 'x',
      kind: { group: '', version: 'v1', kind: 'Service' },
      operation: oldObject ? 'UPDATE' : 'CREATE',
      namespace: NS,
      name,
      object,
      ...(oldObject ? { oldObject } : {}),
    },
    { mode: 'enforce' },
  );
}

/** The policy's answer: a dry-run CREATE, or a dry-run UPDATE of the Service stored before the policy. */
async function policy(c: PolicyCase, name: string): Promise<Answer> {
  const body = serviceFor(c, name, NS, c.annotations);
  if (!c.oldAnnotations) return call('POST', `/api/v1/namespaces/${NS}/services?dryRun=All`, body);
  const stored = (await kube.api('GET', `/api/v1/namespaces/${NS}/services/${name}`)).body as {
    metadata: { resourceVersion: string };
    spec: { clusterIP?: string };
  };
  const spec = {
    ...(body.spec as object),
    ...(stored.spec.clusterIP ? { clusterIP: stored.spec.clusterIP } : {}),
  };
  return call('PUT', `/api/v1/namespaces/${NS}/services/${name}?dryRun=All`, {
    ...body,
    metadata: { ...body.metadata, resourceVersion: stored.metadata.resourceVersion },
    spec,
  });
}

const covered = (f: Finding) => CEL_REASONS[f.rule] !== undefined;

/** Compares one case; returns a description of the first disagreement, or undefined. */
async function compare(c: PolicyCase, name: string): Promise<string | undefined> {
  const review = webhook(c, name);
  const answer = await policy(c, name);
  const webhookDenies = !review.response.allowed;
  const policyDenies = answer.status === 422 && answer.message.includes('ValidatingAdmissionPolicy');
  // The API server validates annotation keys itself before admission (qualified names: the part
  // after the prefix at most 63 characters, alphanumeric at both ends): such a request never
  // reaches a webhook or a policy, so there is nothing to compare.
  if (answer.status === 422 && !policyDenies && /metadata\.annotations: Invalid value/.test(answer.message))
    return undefined;
  if (answer.status >= 400 && !policyDenies)
    return `API server refused for another reason: ${answer.status} ${answer.message}`;
  if (webhookDenies !== policyDenies)
    return `webhook ${webhookDenies ? 'denies' : 'allows'}, policy ${policyDenies ? `denies: ${answer.message}` : 'allows'} (${review.findings.map((f) => f.message).join('; ')})`;
  // The API server reports the first validation that fails (the webhook lists every error).
  const denyReasons = review.deniedRules.map((rule) => CEL_REASONS[rule]).filter((r) => r !== undefined);
  if (policyDenies && !denyReasons.some((reason) => answer.message.includes(reason)))
    return `denial has none of the webhook's reasons ${JSON.stringify(denyReasons)}: ${answer.message}`;
  for (const f of review.findings) {
    if (!covered(f)) continue;
    const reason = CEL_REASONS[f.rule]!;
    if (f.severity === 'warning' && !answer.warnings.some((w) => w.includes(reason))) {
      return `no warning with "${reason}": ${JSON.stringify(answer.warnings)}`;
    }
  }
  const reasons = review.findings.filter(covered).map((f) => CEL_REASONS[f.rule]!);
  const stray = answer.warnings.filter(
    (w) => w.includes('ValidatingAdmissionPolicy') && !reasons.some((r) => w.includes(r)),
  );
  if (stray.length > 0) return `policy warns where the webhook does not: ${JSON.stringify(stray)}`;
  return undefined;
}

// Generated cases: values near the edges of every rule the policy covers.
const valueArb = fc.oneof(
  fc.constantFrom(
    '',
    ' ',
    'true',
    'false',
    'T',
    'yes',
    '0',
    '1',
    '80',
    '81',
    '8080',
    '65535',
    '65536',
    '-1',
    '-0',
    '0x50',
    '010',
    '+80',
    '1_0',
    'http',
    'grpc',
    'https',
    'a/b',
    ' web ',
    'web_api',
    'Web',
    '2147483648',
    'x'.repeat(300),
  ),
  fc.stringMatching(/^[a-z0-9 \-_/+]{0,12}$/),
);
const keyArb = fc.oneof(
  fc.constantFrom(
    `${K}service-sync`,
    `${K}service-name`,
    `${K}service-port`,
    `${K}service-weight`,
    `${K}servce-port`,
    `${K}Service-Sync`,
    `${K}synced`,
  ),
  fc
    .constantFrom(
      'team',
      'Consul-x',
      'consul-y',
      'external-source',
      'external-k8s-ns',
      'port-http',
      'a.b',
      '',
      'k'.repeat(129),
    )
    .map((m) => `${K}service-meta-${m}`),
);
const caseArb: fc.Arbitrary<PolicyCase> = fc.record({
  title: fc.constant('generated'),
  annotations: fc.dictionary(keyArb, valueArb, { minKeys: 1, maxKeys: 4 }),
  type: fc.constantFrom('ClusterIP' as const, 'LoadBalancer' as const, 'ExternalName' as const),
  externalIPs: fc.option(fc.constant(['192.0.2.10']), { nil: undefined }),
  rules: fc.constant([]),
});

beforeAll(async () => {
  kube = await startRealKube();
  await kube.api('POST', '/api/v1/namespaces', {
    apiVersion: 'v1',
    kind: 'Namespace',
    metadata: { name: NS },
  });
  // UPDATE cases: their old objects are stored before the policy exists (as on a cluster adopting it).
  for (const [i, c] of POLICY_CORPUS.entries()) {
    if (!c.oldAnnotations) continue;
    const name = `old-${i}`;
    const res = await kube.api(
      'POST',
      `/api/v1/namespaces/${NS}/services`,
      serviceFor(c, name, NS, c.oldAnnotations),
    );
    if (res.status !== 201) throw new Error(`storing ${name}: ${res.status} ${JSON.stringify(res.body)}`);
    created.push({ name, c });
  }
  const applied = kube.kubectl(['apply', '-f', '-'], { input: exportPolicy('deny') });
  if (applied.status !== 0)
    throw new Error(`kubectl apply of the exported policy failed:\n${applied.stderr}`);
  // Policies take effect asynchronously: wait until a known-bad Service is denied.
  await eventually(
    async () => {
      const probe = await call(
        'POST',
        `/api/v1/namespaces/${NS}/services?dryRun=All`,
        serviceFor({}, 'probe', NS, { [`${K}service-sync`]: 'yes' }),
      );
      return probe.status === 422;
    },
    { timeoutMs: 30_000, intervalMs: 250, what: 'the exported policy to take effect' },
  );
  // The warnings policy takes effect on its own schedule: wait until it warns as well.
  await eventually(
    async () => {
      const probe = await call(
        'POST',
        `/api/v1/namespaces/${NS}/services?dryRun=All`,
        serviceFor({}, 'probe', NS, { [`${K}servce-name`]: 'x' }),
      );
      return probe.warnings.some((w) => w.includes('ValidatingAdmissionPolicy'));
    },
    { timeoutMs: 30_000, intervalMs: 250, what: 'the exported warnings policy to take effect' },
  );
}, 180_000);

afterAll(async () => {
  await kube?.stop();
});

describe('the exported ValidatingAdmissionPolicy on a real kube-apiserver', () => {
  it('is accepted as exported: the API server compiles every expression on create (422 otherwise)', async () => {
    // (Type-checking warnings in status.typeChecking come from kube-controller-manager, not run here.)
    const res = await kube.api('GET', '/apis/admissionregistration.k8s.io/v1/validatingadmissionpolicies');
    const items = (
      res.body as { items: Array<{ metadata: { name: string }; spec: { validations: unknown[] } }> }
    ).items;
    const exported = (
      yaml.loadAll(exportPolicy('deny')) as Array<{
        kind: string;
        metadata: { name: string };
        spec: { validations?: unknown[] };
      }>
    ).filter((d) => d.kind === 'ValidatingAdmissionPolicy');
    expect(items.map((p) => [p.metadata.name, p.spec.validations.length]).sort()).toEqual(
      exported.map((p) => [p.metadata.name, p.spec.validations!.length]).sort(),
    );
  });

  it('the API server itself refuses meta keys the rules call invalid or too long (so they never reach admission)', async () => {
    for (const c of POLICY_CORPUS.filter(
      (c) => c.title === 'meta empty key' || c.title === 'meta long key',
    )) {
      const answer = await policy(c, 'refused');
      expect(answer.status).toBe(422);
      expect(answer.message).toMatch(/metadata\.annotations: Invalid value/);
    }
  });

  it.each(POLICY_CORPUS.map((c, i) => [c.title, c, i] as const))(
    'corpus: %s — decided as the webhook decides',
    async (_title, c, i) => {
      const name = c.oldAnnotations ? `old-${i}` : `c-${i}`;
      expect(await compare(c, name)).toBeUndefined();
    },
  );

  it('a few thousand generated annotation sets: the same decisions and reasons', async () => {
    await fc.assert(
      fc.asyncProperty(caseArb, fc.nat(), async (c, n) => {
        expect(await compare(c, `g-${n % 100000}`)).toBeUndefined();
      }),
      { numRuns: 2500, seed: 16 },
    );
  }, 600_000);

  it('stays within the CEL cost budget for the largest annotation set the API server accepts', async () => {
    // 256 KiB of annotations in total (the API server refuses more): one huge name, many meta keys.
    const big = (keys: Record<string, string>) =>
      ({ title: 'big', annotations: keys, rules: [] }) as PolicyCase;
    const many: Record<string, string> = {};
    for (let i = 0; JSON.stringify(many).length < 250_000; i++)
      many[`${K}service-meta-k${i}`] = 'v'.repeat(20);
    const cases = [
      big({ [`${K}service-name`]: `a${' '.repeat(255_000)}b` }),
      big({ [`${K}service-meta-team`]: 'é'.repeat(127_000) }),
      big(many),
      big({
        ...Object.fromEntries(Object.entries(many).slice(0, 2000)),
        [`${K}service-port`]: 'x'.repeat(100_000),
      }),
    ];
    for (const [i, c] of cases.entries()) {
      const answer = await policy(c, `big-${i}`);
      expect(answer.message).not.toMatch(/cost|budget|exceeded/i);
      expect(await compare(c, `big-${i}`)).toBeUndefined();
    }
  });
});
