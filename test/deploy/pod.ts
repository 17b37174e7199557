// Typed views of the manifests the deploy tests read, and lookups across them.

import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parsePolicyText } from '../../src/config/load.js';
import type { Policy } from '../../src/config/schema.js';
import { ROOT } from './cli.js';
import { kustomizeBuild, type K8sObject } from './kustomize.js';

export interface EnvVar { name: string; value?: string; valueFrom?: { secretKeyRef?: { name: string; key: string } } }
export interface Port { name?: string; containerPort: number }
export interface Probe { httpGet?: { path: string; port: number | string; scheme?: string }; exec?: unknown }
export interface SecurityContext {
  runAsNonRoot?: boolean; runAsUser?: number; readOnlyRootFilesystem?: boolean; allowPrivilegeEscalation?: boolean;
  capabilities?: { drop?: string[]; add?: string[] }; seccompProfile?: { type: string }; privileged?: boolean;
}
export interface Container {
  name: string; image: string; args?: string[]; restartPolicy?: string; env?: EnvVar[]; ports?: Port[];
  startupProbe?: Probe; livenessProbe?: Probe; readinessProbe?: Probe;
  resources?: { requests?: Record<string, string>; limits?: Record<string, string> };
  securityContext?: SecurityContext;
  volumeMounts?: Array<{ name: string; mountPath: string; subPath?: string; readOnly?: boolean }>;
  lifecycle?: { preStop?: { sleep?: { seconds: number } } };
}
export interface PodSpec {
  initContainers?: Container[]; containers: Container[]; terminationGracePeriodSeconds?: number;
  securityContext?: SecurityContext; automountServiceAccountToken?: boolean;
  volumes?: Array<{ name: string; configMap?: { name: string }; emptyDir?: unknown }>;
}
export interface Workload extends K8sObject { spec: { selector: { matchLabels: Record<string, string> }; template: { metadata: { labels: Record<string, string> }; spec: PodSpec } } }

export const K8S = path.join(ROOT, 'deploy/k8s');
export const BUILDS = ['base', 'overlays/redis'] as const;

export interface Build {
  name: string;
  objects: K8sObject[];
  deployment: Workload;
  pod: PodSpec;
  sidecar: Container;
  app: Container;
  policyText: string;
  policy: Policy;
  configPath: string;
}

export function get<T extends K8sObject>(objects: K8sObject[], kind: string, name: string): T {
  const o = objects.find((x) => x.kind === kind && x.metadata.name === name);
  if (!o) throw new Error(`no ${kind}/${name} in the build`);
  return o as T;
}

/** Env values that stand in for the Secrets when the policy is validated. */
export function fakeSecrets(c: Container): Record<string, string> {
  const env: Record<string, string> = {};
  for (const e of c.env ?? []) env[e.name] = e.value ?? `test-${e.name.toLowerCase().replace(/_/g, '-')}-0123456789abcdef`;
  return env;
}

export function loadBuild(name: string): Build {
  const objects = kustomizeBuild(path.join(K8S, name));
  const deployment = get<Workload>(objects, 'Deployment', 'sono-eval');
  const pod = deployment.spec.template.spec;
  const sidecar = (pod.initContainers ?? []).find((c) => c.name === 'sono-guard');
  const app = pod.containers.find((c) => c.name === 'assessment-app');
  if (!sidecar || !app) throw new Error(`${name}: sono-guard init container or assessment-app container missing`);
  const args = sidecar.args ?? [];
  const configPath = args[args.indexOf('--config') + 1] ?? '';
  const volume = pod.volumes?.find((v) => v.name === sidecar.volumeMounts?.find((m) => configPath.startsWith(m.mountPath + '/'))?.name);
  const cm = get(objects, 'ConfigMap', volume?.configMap?.name ?? '(no configMap volume at the --config path)');
  const policyText = (cm.data as Record<string, string>)[path.posix.basename(configPath)] ?? '';
  const loaded = parsePolicyText(policyText, `${name}/policy.yaml`, fakeSecrets(sidecar));
  if (!loaded.ok) throw new Error(loaded.errors.join('\n'));
  return { name, objects, deployment, pod, sidecar, app, policyText, policy: loaded.policy, configPath };
}

/** A container port by number or name. */
export function resolvePort(c: Container, port: number | string): number | undefined {
  if (typeof port === 'number') return c.ports?.some((p) => p.containerPort === port) ? port : undefined;
  return c.ports?.find((p) => p.name === port)?.containerPort;
}

export function selects(selector: Record<string, string>, labels: Record<string, string>): boolean {
  return Object.keys(selector).length > 0 && Object.entries(selector).every(([k, v]) => labels[k] === v);
}

/** Kubernetes quantity → bytes (memory) or cores (cpu). */
export function quantity(q: string): number {
  const m = /^(\d+(?:\.\d+)?)(m|Ki|Mi|Gi|k|M|G)?$/.exec(q);
  if (!m) throw new Error(`unparsable quantity ${q}`);
  const unit = { m: 1e-3, Ki: 1024, Mi: 1024 ** 2, Gi: 1024 ** 3, k: 1e3, M: 1e6, G: 1e9 }[m[2] ?? ''] ?? 1;
  return Number(m[1]) * unit;
}

/** `${NAME}` references without a default, outside comments. */
export function requiredVariables(policyText: string): string[] {
  const names = new Set<string>();
  for (const line of policyText.split('\n')) {
    const code = line.replace(/(^|\s)#.*$/, '');
    for (const m of code.matchAll(/\$\{([A-Za-z_]\w*)\}/g)) names.add(m[1]!);
  }
  return [...names];
}

export function readRepoFile(rel: string): string {
  return readFileSync(path.join(ROOT, rel), 'utf8');
}
