import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { parseAllDocuments } from 'yaml';
import { beforeAll, describe, expect, it } from 'vitest';
import { onPath } from './cli.js';
import { kustomizeBuild, type K8sObject } from './kustomize.js';
import { BUILDS, K8S, get, loadBuild, resolvePort, selects, type Build, type Workload } from './pod.js';

describe('deploy/k8s/overlays/redis', () => {
  let base: Build;
  let redis: Build;
  beforeAll(() => {
    base = loadBuild('base');
    redis = loadBuild('overlays/redis');
  });

  it('its policy is the base policy with the Redis store', () => {
    expect(base.policy.store.kind).toBe('memory');
    expect(redis.policy.store.kind).toBe('redis');
    const { store: _a, ...rest } = redis.policy;
    const { store: _b, ...baseRest } = base.policy;
    expect(rest).toEqual(baseRest);
  });

  it('store.url points at the Redis Service, which targets the Redis container', () => {
    const url = new URL(redis.policy.store.url!);
    const svc = get<K8sObject & { spec: { selector: Record<string, string>; ports: Array<{ port: number; targetPort: string | number }> } }>(redis.objects, 'Service', url.hostname);
    const port = svc.spec.ports.find((p) => p.port === Number(url.port));
    expect(port).toBeDefined();
    const deploy = redis.objects.find((o): o is Workload => o.kind === 'Deployment' && selects(svc.spec.selector, (o as Workload).spec.template.metadata.labels));
    const container = deploy!.spec.template.spec.containers.find((c) => c.name === 'redis')!;
    expect(resolvePort(container, port!.targetPort)).toBe(6379);
    expect(container.args).toContain('--requirepass');
  });

  it('Redis and the sidecar read the password from the same Secret', () => {
    const deploy = get<Workload>(redis.objects, 'Deployment', 'sono-guard-redis');
    const redisEnv = deploy.spec.template.spec.containers[0]!.env ?? [];
    const server = redisEnv.find((e) => e.name === 'REDIS_PASSWORD')?.valueFrom?.secretKeyRef;
    const client = redis.sidecar.env?.find((e) => e.name === 'REDIS_PASSWORD')?.valueFrom?.secretKeyRef;
    expect(server).toBeDefined();
    expect(client).toEqual(server);
    expect(redis.policyText).toMatch(/redis:\/\/:\$\{REDIS_PASSWORD\}@/);
  });

  it('only the sono-eval pods may reach Redis', () => {
    type Np = K8sObject & { spec: { podSelector: { matchLabels: Record<string, string> }; ingress: Array<{ from: Array<{ podSelector?: { matchLabels: Record<string, string> } }> }> } };
    const np = get<Np>(redis.objects, 'NetworkPolicy', 'sono-guard-redis');
    const deploy = get<Workload>(redis.objects, 'Deployment', 'sono-guard-redis');
    expect(selects(np.spec.podSelector.matchLabels, deploy.spec.template.metadata.labels)).toBe(true);
    const from = np.spec.ingress.flatMap((r) => r.from);
    expect(from.length).toBeGreaterThan(0);
    for (const f of from) expect(selects(f.podSelector?.matchLabels ?? {}, redis.deployment.spec.template.metadata.labels)).toBe(true);
  });
});

// The hand-written builder must agree with the real kustomize wherever kubectl exists.
describe.skipIf(!onPath('kubectl'))('kubectl kustomize agrees with the test builder', () => {
  it.each(BUILDS)('%s', (name) => {
    const r = spawnSync('kubectl', ['kustomize', path.join(K8S, name)], { encoding: 'utf8', timeout: 30_000 });
    expect(r.stderr).toBe('');
    const key = (o: K8sObject) => `${o.kind}/${o.metadata.name}`;
    const sort = (os: K8sObject[]) => [...os].sort((a, b) => key(a).localeCompare(key(b)));
    const real = parseAllDocuments(r.stdout).map((d) => d.toJS() as K8sObject);
    expect(sort(kustomizeBuild(path.join(K8S, name)))).toEqual(sort(real));
  });
});
