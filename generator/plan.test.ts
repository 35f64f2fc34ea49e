import { countChanges, gitBlobId, planChanges, type CurrentEntry } from './plan';
import { changeTable, commitMessage, unifiedDiff } from './report';

const service = (name: string, target: string) =>
  `apiVersion: v1\nkind: Service\nmetadata:\n  annotations:\n    consul.hashicorp.com/consul-service-name: ${name}\n  name: ${name}\nspec:\n  externalName: ${target}\n`;
const file = (content: string): CurrentEntry => ({ type: 'file', blob: gitBlobId(content) });

describe('planChanges', () => {
  const oldWeb = service('web', 'web.service.consul');
  const oldDb = service('db', 'db.service.consul');
  const current = new Map<string, CurrentEntry>([
    ['web.yaml', file(oldWeb)],
    ['db.yaml', file(oldDb)],
    ['kustomization.yaml', file('k')],
    ['stray-dir', { type: 'other' }],
    ['notes.md', file('hand-written')],
  ]);
  const desired = new Map([
    ['web.yaml', service('web', 'web.service.dc2.consul')],
    ['api.yaml', service('api', 'api.service.consul')],
    ['kustomization.yaml', 'k'],
  ]);
  const previous = new Map([
    ['web.yaml', oldWeb],
    ['db.yaml', oldDb],
    ['notes.md', 'hand-written'],
  ]);
  const plan = planChanges(current, desired, new Map(), previous);

  it('compares by git blob id, writes what differs and removes everything else', () => {
    expect(gitBlobId('')).toBe('e69de29bb2d1d6434b8b29ae775ad8c2e48c5391');
    expect(plan.writes.map(([name]) => name)).toEqual(['api.yaml', 'web.yaml']);
    expect(plan.deletes).toEqual(['db.yaml', 'notes.md', 'stray-dir']);
    expect(plan.currentServiceCount).toBe(2);
    expect(plan.desiredServiceCount).toBe(2);
  });

  it('describes each Service change with externalName before and after', () => {
    expect(countChanges(plan)).toEqual({ added: 1, changed: 1, removed: 1 });
    expect(plan.changes).toEqual([
      {
        kind: 'added',
        file: 'api.yaml',
        k8sName: 'api',
        consulName: 'api',
        externalNameAfter: 'api.service.consul',
      },
      {
        kind: 'removed',
        file: 'db.yaml',
        k8sName: 'db',
        consulName: 'db',
        externalNameBefore: 'db.service.consul',
      },
      {
        kind: 'changed',
        file: 'web.yaml',
        k8sName: 'web',
        consulName: 'web',
        externalNameBefore: 'web.service.consul',
        externalNameAfter: 'web.service.dc2.consul',
      },
    ]);
  });

  it('renders a table, a commit message and a unified diff', () => {
    expect(changeTable(plan)).toBe(
      [
        'SERVICE  CHANGE   EXTERNALNAME',
        'api      added    → api.service.consul',
        'db       removed  db.service.consul →',
        'web      changed  web.service.consul → web.service.dc2.consul',
        '',
      ].join('\n'),
    );
    expect(commitMessage(plan, 'consul')).toBe(
      'consul-k8s-gitops: sync consul from Consul (1 added, 1 changed, 1 removed)\n\nAdded (1):\n  api\n\nChanged (1):\n  web\n\nRemoved (1):\n  db\n',
    );
    const diff = unifiedDiff(plan, previous, 'consul');
    expect(diff).toContain('--- /dev/null\n+++ b/consul/api.yaml');
    expect(diff).toContain('--- a/consul/db.yaml\n+++ /dev/null');
    expect(diff).toContain('-  externalName: web.service.consul\n+  externalName: web.service.dc2.consul');
  });

  it('is empty when nothing differs', () => {
    const same = planChanges(new Map([['a.yaml', file('x')]]), new Map([['a.yaml', 'x']]));
    expect(same.writes).toEqual([]);
    expect(same.deletes).toEqual([]);
  });
});
