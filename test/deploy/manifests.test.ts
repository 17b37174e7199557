import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT, assertBuilt, runCli } from './cli.js';
import { readYamlDocs, type K8sObject } from './kustomize.js';
import {
  BUILDS, fakeSecrets, get, loadBuild, quantity, readRepoFile, requiredVariables, resolvePort, selects,
  type Build, type Container, type SecurityContext, type Workload,
} from './pod.js';

const STATUS = { liveness: '/api/v1/status/liveness', readiness: '/api/v1/status/readiness' };

describe.each(BUILDS)('deploy/k8s/%s', (name) => {
  let b: Build;
  beforeAll(() => {
    b = loadBuild(name);
  });

  it('runs sono-guard as a native sidecar next to the app', () => {
    expect(b.sidecar.restartPolicy).toBe('Always');
    expect(b.pod.containers.map((c) => c.name)).toEqual(['assessment-app']);
    expect(b.pod.containers.some((c) => c.image.includes('sono-guard'))).toBe(false);
  });

  it('container ports match the policy listeners; the proxy listens on every interface', () => {
    const s = b.policy.server;
    expect(['0.0.0.0', '::']).toContain(s.listen.host);
    expect(resolvePort(b.sidecar, 'http')).toBe(s.listen.port);
    expect(resolvePort(b.sidecar, 'admin')).toBe(s.admin.port);
  });

  it('the Service selects the pod and targets the proxy port only', () => {
    const svc = get<K8sObject & { spec: { selector: Record<string, string>; ports: Array<{ targetPort: number | string }> } }>(b.objects, 'Service', 'sono-eval');
    expect(selects(svc.spec.selector, b.deployment.spec.template.metadata.labels)).toBe(true);
    expect(svc.spec.ports.length).toBeGreaterThan(0);
    for (const p of svc.spec.ports) expect(resolvePort(b.sidecar, p.targetPort)).toBe(b.policy.server.listen.port);
  });

  it('probes hit the proxy status endpoints on the main port', () => {
    const probes = { startupProbe: STATUS.liveness, livenessProbe: STATUS.liveness, readinessProbe: STATUS.readiness } as const;
    for (const [probe, path] of Object.entries(probes) as Array<[keyof typeof probes, string]>) {
      const get = b.sidecar[probe]?.httpGet;
      expect(get?.path, probe).toBe(path);
      expect(resolvePort(b.sidecar, get!.port), probe).toBe(b.policy.server.listen.port);
      expect(get?.scheme ?? 'HTTP').toBe(b.policy.server.tls ? 'HTTPS' : 'HTTP');
    }
  });

  it('the app listens on loopback where upstream.url points, and nothing outside the pod targets it', () => {
    const env = Object.fromEntries((b.app.env ?? []).map((e) => [e.name, e.value]));
    const url = new URL(b.policy.upstream.url);
    expect(url.hostname).toBe('127.0.0.1');
    expect(env.HOST).toBe('127.0.0.1');
    expect(env.PORT).toBe(url.port);
    expect(b.app.ports ?? []).toEqual([]);
    expect(url.port).not.toBe(String(b.policy.server.listen.port));
  });

  it('the grace period covers the app preStop, shutdown_delay and drain_timeout', () => {
    const s = b.policy.server;
    const preStop = b.app.lifecycle?.preStop?.sleep?.seconds ?? 0;
    expect(preStop * 1000).toBeGreaterThanOrEqual(s.shutdown_delay);
    expect(b.pod.terminationGracePeriodSeconds! * 1000).toBeGreaterThan(preStop * 1000 + s.shutdown_delay + s.drain_timeout);
  });

  it('the policy comes from the ConfigMap, mounted as a directory so edits reload', () => {
    expect(b.configPath).toBe('/etc/sono-guard/policy.yaml');
    // The image's default config path is the same file.
    expect(readRepoFile('deploy/Dockerfile')).toMatch(/SONO_GUARD_CONFIG=\/etc\/sono-guard\/policy\.yaml/);
    const mount = b.sidecar.volumeMounts?.find((m) => m.mountPath === path.posix.dirname(b.configPath));
    expect(mount?.subPath).toBeUndefined();
    expect(mount?.readOnly).toBe(true);
    expect(b.pod.volumes?.find((v) => v.name === mount?.name)?.configMap).toBeDefined();
    expect(b.policyText).toContain('version: 1');
  });

  it('every container is locked down', () => {
    const podSc = b.pod.securityContext ?? {};
    expect(podSc.runAsNonRoot).toBe(true);
    expect(podSc.seccompProfile?.type).toBe('RuntimeDefault');
    expect(b.pod.automountServiceAccountToken).toBe(false);
    for (const d of b.objects.filter((o): o is Workload => o.kind === 'Deployment')) {
      for (const c of [...(d.spec.template.spec.initContainers ?? []), ...d.spec.template.spec.containers]) {
        const sc: SecurityContext = { ...d.spec.template.spec.securityContext, ...c.securityContext };
        expect({ container: c.name, ...sc }).toMatchObject({
          container: c.name, runAsNonRoot: true, readOnlyRootFilesystem: true, allowPrivilegeEscalation: false,
          capabilities: { drop: ['ALL'] }, seccompProfile: { type: 'RuntimeDefault' },
        });
        expect(sc.runAsUser ?? 1, c.name).not.toBe(0);
        expect(sc.capabilities?.add ?? [], c.name).toEqual([]);
        expect(sc.privileged ?? false, c.name).toBe(false);
      }
    }
  });

  it('every container has requests and limits; the sidecar limit holds its caches', () => {
    const all: Container[] = b.objects.filter((o): o is Workload => o.kind === 'Deployment')
      .flatMap((d) => [...(d.spec.template.spec.initContainers ?? []), ...d.spec.template.spec.containers]);
    for (const c of all) {
      const r = c.resources ?? {};
      expect(Object.keys(r.requests ?? {}).sort(), c.name).toEqual(['cpu', 'memory']);
      expect(quantity(r.limits?.memory ?? '0'), c.name).toBeGreaterThanOrEqual(quantity(r.requests!.memory!));
    }
    const caches = Object.values(b.policy.caches).reduce((n, c) => n + c.max_bytes, 0);
    expect(quantity(b.sidecar.resources!.limits!.memory!)).toBeGreaterThanOrEqual(caches + 96 * 1024 ** 2);
  });

  it('the PodDisruptionBudget and the NetworkPolicy select the pods; admin is reachable only from monitoring', () => {
    const labels = b.deployment.spec.template.metadata.labels;
    expect(selects(b.deployment.spec.selector.matchLabels, labels)).toBe(true);
    const pdb = get<K8sObject & { spec: { selector: { matchLabels: Record<string, string> }; maxUnavailable?: number } }>(b.objects, 'PodDisruptionBudget', 'sono-eval');
    expect(selects(pdb.spec.selector.matchLabels, labels)).toBe(true);
    type Rule = { from?: unknown[]; ports: Array<{ port: string | number }> };
    const np = get<K8sObject & { spec: { podSelector: { matchLabels: Record<string, string> }; ingress: Rule[] } }>(b.objects, 'NetworkPolicy', 'sono-eval');
    expect(selects(np.spec.podSelector.matchLabels, labels)).toBe(true);
    const open = np.spec.ingress.filter((r) => !r.from).flatMap((r) => r.ports.map((p) => resolvePort(b.sidecar, p.port)));
    const restricted = np.spec.ingress.filter((r) => r.from).flatMap((r) => r.ports.map((p) => resolvePort(b.sidecar, p.port)));
    expect(open).toEqual([b.policy.server.listen.port]);
    expect(restricted).toEqual([b.policy.server.admin.port]);
  });

  it('the PodMonitor scrapes the admin port with the token the sidecar gets', () => {
    const [pm] = readYamlDocs(path.join(ROOT, 'deploy/prometheus/podmonitor.yaml')) as Array<K8sObject & {
      spec: { selector: { matchLabels: Record<string, string> }; podMetricsEndpoints: Array<{ port: string; path: string; authorization: { credentials: { name: string; key: string } } }> };
    }>;
    expect(selects(pm!.spec.selector.matchLabels, b.deployment.spec.template.metadata.labels)).toBe(true);
    const ep = pm!.spec.podMetricsEndpoints[0]!;
    expect(resolvePort(b.sidecar, ep.port)).toBe(b.policy.server.admin.port);
    expect(ep.path).toBe('/metrics');
    const token = b.sidecar.env?.find((e) => e.name === 'SONO_GUARD_ADMIN_TOKEN')?.valueFrom?.secretKeyRef;
    expect(ep.authorization.credentials).toEqual(token);
    expect(b.policyText).toMatch(/admin_token:\s*"\$\{SONO_GUARD_ADMIN_TOKEN\}"/);
  });

  it('every variable the policy needs reaches the sidecar from a Secret, and the README says how to create it', () => {
    const env = new Map((b.sidecar.env ?? []).map((e) => [e.name, e]));
    const readme = readRepoFile('deploy/README.md');
    for (const v of requiredVariables(b.policyText)) {
      const ref = env.get(v)?.valueFrom?.secretKeyRef;
      expect(ref, v).toBeDefined();
      expect(readme).toMatch(new RegExp(`kubectl (-n \\S+ )?create secret generic ${ref!.name} --from-literal=${ref!.key}=`));
    }
  });

  describe('the ConfigMap policy and `sono-guard validate`', () => {
    let dir: string;
    beforeAll(() => {
      assertBuilt();
      dir = mkdtempSync(path.join(tmpdir(), 'sono-guard-manifests-'));
    });
    afterAll(() => rmSync(dir, { recursive: true, force: true }));

    it('validates with the sidecar environment (exit 0)', () => {
      const file = path.join(dir, `${name.replace('/', '-')}.yaml`);
      writeFileSync(file, b.policyText);
      const r = runCli(['validate', file], { env: fakeSecrets(b.sidecar) });
      expect(r.stderr).toBe('');
      expect(r.status).toBe(0);
      expect(r.stdout).toContain(`${file}: ok`);
    });

    it('is rejected without the admin token (exit 1): the admin port never opens unauthenticated', () => {
      const file = path.join(dir, `${name.replace('/', '-')}-no-token.yaml`);
      writeFileSync(file, b.policyText);
      const { SONO_GUARD_ADMIN_TOKEN: _dropped, ...env } = fakeSecrets(b.sidecar);
      const r = runCli(['validate', file], { env });
      expect(r.status).toBe(1);
      expect(r.stderr).toContain('SONO_GUARD_ADMIN_TOKEN');
    });
  });
});
