// A hand-written `kustomize build` for the deploy/k8s tree, because CI has no
// kubectl. It supports exactly the features the tree uses (resources,
// configMapGenerator without hash suffix, RFC 6902 patches) and throws on
// anything else, so a kustomization that grows a feature this builder would
// silently ignore fails the tests instead. manifests.test.ts compares it with
// `kubectl kustomize` where kubectl is on PATH.

import { readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { parse, parseAllDocuments } from 'yaml';

export interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; labels?: Record<string, string>; [k: string]: unknown };
  [k: string]: unknown;
}

interface Generator {
  name: string;
  behavior?: 'create' | 'replace' | 'merge';
  files?: string[];
  options?: { disableNameSuffixHash?: boolean };
}

interface Patch {
  path: string;
  target: { kind: string; name: string };
}

interface Kustomization {
  apiVersion?: string;
  kind?: string;
  resources?: string[];
  configMapGenerator?: Generator[];
  patches?: Patch[];
}

const SUPPORTED = new Set(['apiVersion', 'kind', 'resources', 'configMapGenerator', 'patches']);

export function readYamlDocs(file: string): K8sObject[] {
  return parseAllDocuments(readFileSync(file, 'utf8'))
    .map((d) => {
      if (d.errors.length) throw new Error(`${file}: ${d.errors[0]!.message}`);
      return d.toJS() as K8sObject | null;
    })
    .filter((o): o is K8sObject => o !== null);
}

export function kustomizeBuild(dir: string): K8sObject[] {
  const k = parse(readFileSync(path.join(dir, 'kustomization.yaml'), 'utf8')) as Kustomization;
  for (const key of Object.keys(k)) {
    if (!SUPPORTED.has(key)) throw new Error(`${dir}/kustomization.yaml: "${key}" is not supported by the test's builder`);
  }
  const out: K8sObject[] = [];
  for (const r of k.resources ?? []) {
    const p = path.join(dir, r);
    out.push(...(statSync(p).isDirectory() ? kustomizeBuild(p) : readYamlDocs(p)));
  }
  for (const g of k.configMapGenerator ?? []) applyGenerator(dir, g, out);
  for (const p of k.patches ?? []) {
    const target = out.find((o) => o.kind === p.target.kind && o.metadata.name === p.target.name);
    if (!target) throw new Error(`${dir}: patch target ${p.target.kind}/${p.target.name} not found`);
    const ops = parse(readFileSync(path.join(dir, p.path), 'utf8')) as unknown;
    if (!Array.isArray(ops)) throw new Error(`${dir}/${p.path}: only RFC 6902 (list) patches are supported`);
    for (const op of ops as JsonPatchOp[]) applyJsonPatch(target, op);
  }
  return out;
}

function applyGenerator(dir: string, g: Generator, out: K8sObject[]): void {
  if (g.options?.disableNameSuffixHash !== true) throw new Error(`${dir}: generator ${g.name}: hash suffixes are not supported`);
  const data: Record<string, string> = {};
  for (const f of g.files ?? []) {
    if (f.includes('=')) throw new Error(`${dir}: generator ${g.name}: "key=file" is not supported`);
    data[path.basename(f)] = readFileSync(path.join(dir, f), 'utf8');
  }
  const existing = out.find((o) => o.kind === 'ConfigMap' && o.metadata.name === g.name);
  const behavior = g.behavior ?? 'create';
  if (behavior === 'create') {
    if (existing) throw new Error(`${dir}: ConfigMap ${g.name} already exists`);
    out.push({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: g.name }, data });
    return;
  }
  if (!existing) throw new Error(`${dir}: generator ${g.name} (${behavior}) has no ConfigMap to change`);
  existing.data = behavior === 'replace' ? data : { ...(existing.data as Record<string, string>), ...data };
}

interface JsonPatchOp { op: 'add' | 'replace' | 'remove'; path: string; value?: unknown }

function applyJsonPatch(doc: K8sObject, op: JsonPatchOp): void {
  if (!['add', 'replace', 'remove'].includes(op.op)) throw new Error(`patch op "${op.op}" is not supported`);
  const keys = op.path.split('/').slice(1).map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
  const last = keys.pop();
  if (last === undefined) throw new Error(`bad patch path ${op.path}`);
  let node: unknown = doc;
  for (const key of keys) {
    node = (node as Record<string, unknown>)[Array.isArray(node) ? Number(key) : key];
    if (node === undefined || node === null) throw new Error(`patch path ${op.path}: ${key} not found`);
  }
  if (Array.isArray(node)) {
    const i = last === '-' ? node.length : Number(last);
    if (op.op === 'add') node.splice(i, 0, structuredClone(op.value));
    else if (op.op === 'replace') node[i] = structuredClone(op.value);
    else node.splice(i, 1);
    return;
  }
  const obj = node as Record<string, unknown>;
  if (op.op === 'remove') delete obj[last];
  else obj[last] = structuredClone(op.value);
}
