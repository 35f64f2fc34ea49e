/**
 * Resources and scheduling: every Node.js container caps its V8 heap below its memory limit
 * (set explicitly with the limit, so the heap leaves room for the rest of the container:
 * worker isolates, git children, buffers), the fail-closed webhook outranks ordinary pods, and the webhook's CA
 * keeps its key across renewals.
 */
import { field, find, get, ofKind, workloads, type Container } from './inspect';
import { renderOverlay, renderOverlayWith, type K8sObject } from './render';
import { quantityMiB } from './quantity';
import { WORKER_HEAP_MB } from '../../webhook/heavy';
import { MAX_BUFFERED_BYTES } from '../../webhook/app';

const renders: [string, K8sObject[]][] = [];

beforeAll(async () => {
  renders.push(['overlays/dev', await renderOverlay('overlays/dev')]);
  renders.push(['overlays/production', await renderOverlay('overlays/production')]);
  renders.push([
    'overlays/production + generator-cronjob',
    await renderOverlayWith('overlays/production', ['generator-cronjob']),
  ]);
}, 60_000);

/** `--max-old-space-size=<MB>` from the container's NODE_OPTIONS, if any. */
function heapCapMiB(container: Container): number | undefined {
  const options = container.env?.find((e) => e.name === 'NODE_OPTIONS')?.value ?? '';
  const match = /(?:^|\s)--max-old-space-size=(\d+)(?:\s|$)/.exec(options);
  return match ? Number(match[1]) : undefined;
}

test('every container caps its heap at 50-75% of its memory limit (the webhook: its worker cap), keeping source maps on', () => {
  const problems: string[] = [];
  let checked = 0;
  for (const [label, objects] of renders)
    for (const w of workloads(objects))
      for (const c of w.template.spec.containers) {
        const where = `${label}: ${w.object.kind}/${w.object.metadata.name}/${c.name}`;
        const limit = quantityMiB(c.resources?.limits?.memory ?? '');
        const request = quantityMiB(c.resources?.requests?.memory ?? '');
        const cap = heapCapMiB(c);
        checked++;
        if (cap === undefined) {
          problems.push(`${where}: no --max-old-space-size in NODE_OPTIONS`);
          continue;
        }
        // The webhook has two isolates under the one flag: the server and its review worker (the
        // flag overrides the worker's resourceLimits, nodejs/node#43991), so the flag must be the
        // worker's cap, and both heaps plus the buffered bodies must fit in 75% of the limit.
        const webhook = w.object.metadata.name === 'consul-k8s-gitops-webhook';
        if (webhook) {
          if (cap !== WORKER_HEAP_MB)
            problems.push(`${where}: heap cap ${cap} MiB is not the review worker's ${WORKER_HEAP_MB} MiB`);
          if (2 * cap + MAX_BUFFERED_BYTES / 2 ** 20 > limit * 0.75)
            problems.push(
              `${where}: two ${cap} MiB heaps and the buffered bodies exceed 75% of ${limit} MiB`,
            );
        } else if (cap < limit * 0.5 || cap > limit * 0.75)
          problems.push(`${where}: heap cap ${cap} MiB is not 50-75% of the ${limit} MiB limit`);
        if (request > limit) problems.push(`${where}: memory request ${request} MiB above the limit`);
        // NODE_OPTIONS in the pod replaces the image's; the image's flag must survive.
        const options = c.env?.find((e) => e.name === 'NODE_OPTIONS')?.value ?? '';
        if (!options.split(/\s+/).includes('--enable-source-maps'))
          problems.push(`${where}: NODE_OPTIONS drops the image's --enable-source-maps`);
      }
  expect(problems).toEqual([]);
  expect(checked).toBe(9);
});

test('the heap check reads the flag and rejects a missing cap (the check itself works)', () => {
  const c = (value: string): Container => ({ name: 'x', env: [{ name: 'NODE_OPTIONS', value }] });
  expect(heapCapMiB(c('--enable-source-maps --max-old-space-size=384'))).toBe(384);
  expect(heapCapMiB(c('--enable-source-maps'))).toBeUndefined();
  expect(heapCapMiB({ name: 'x' })).toBeUndefined();
});

test('the fail-closed webhook runs at a priority above ordinary pods, below the system classes', () => {
  for (const [label, objects] of renders) {
    const webhook = workloads(objects).find((w) => w.object.metadata.name === 'consul-k8s-gitops-webhook');
    const className = field<string>(webhook?.template.spec, 'priorityClassName') ?? '';
    const priorityClass = find(objects, 'PriorityClass', className);
    expect({ label, priorityClass: priorityClass?.metadata.name }).toEqual({
      label,
      priorityClass: className,
    });
    const value = field<number>(priorityClass, 'value') ?? 0;
    expect(value).toBeGreaterThan(0);
    // User-defined classes may go up to 1,000,000,000; above that are the system classes.
    expect(value).toBeLessThanOrEqual(1_000_000_000);
    expect(field(priorityClass, 'globalDefault')).toBe(false);
    // Only the webhook: the registrar and generator fail soft (they catch up after a restart).
    for (const w of workloads(objects).filter((x) => x.object !== webhook?.object))
      expect(field(w.template.spec, 'priorityClassName')).toBeUndefined();
  }
});

test("the webhook's CA Certificate keeps its key (rotationPolicy Never); the serving certificate rotates", () => {
  const objects = renders[1]?.[1] ?? [];
  const certificates = ofKind(objects, 'Certificate');
  const ca = certificates.filter((c) => field(c, 'spec', 'isCA') === true);
  expect(ca).toHaveLength(1);
  expect(field(ca[0], 'spec', 'privateKey', 'rotationPolicy')).toBe('Never');
  const serving = get(objects, 'Certificate', 'consul-k8s-gitops-webhook');
  expect(field(serving, 'spec', 'privateKey', 'rotationPolicy')).toBe('Always');
});
