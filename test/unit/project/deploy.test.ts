// The deployment files under deploy/ stay consistent with colony: every YAML file parses (all
// documents), the Kubernetes objects and the Compose services have the expected shape, the probes and
// healthchecks run `colony ctl check`, the stop grace periods cover the descriptors' kill times, and
// the ConfigMap's descriptors are valid (and the same as the example's files in config.example/python).
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, test } from 'node:test';
import { parseAllDocuments } from 'yaml';
import { invalidNameReason, processName } from '../../../src/descriptor/name.ts';
import { parseDescriptor, type Descriptor } from '../../../src/descriptor/parse.ts';
import { DEFAULTS } from '../../../src/cli/options.ts';

const ROOT = join(import.meta.dirname, '../../..');
const DEPLOY = join(ROOT, 'deploy');
const K8S = join(DEPLOY, 'kubernetes');

type Obj = Record<string, unknown>;

function isObj(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

// The value at a dotted path ('spec.template.spec'), asserted to be an object.
function obj(root: unknown, path: string): Obj {
  let v: unknown = root;
  for (const key of path === '' ? [] : path.split('.')) {
    assert.ok(isObj(v), `${path}: "${key}" is looked up in a non-object`);
    v = v[key];
  }
  assert.ok(isObj(v), `${path} is not an object: ${JSON.stringify(v)}`);
  return v;
}

function list(v: unknown, what: string): unknown[] {
  assert.ok(Array.isArray(v), `${what} is not a list: ${JSON.stringify(v)}`);
  return v;
}

function yamlFiles(dir: string): string[] {
  const out: string[] = [];
  for (const e of readdirSync(dir).sort()) {
    const p = join(dir, e);
    if (statSync(p).isDirectory()) out.push(...yamlFiles(p));
    else if (/\.ya?ml$/.test(e)) out.push(p);
  }
  return out;
}

// Every document of a YAML file as plain data. Kubernetes reads YAML 1.1 (sigs.k8s.io/yaml: `0444` is
// octal); Compose reads YAML 1.2 with `<<` merge keys.
function load(path: string): unknown[] {
  const text = readFileSync(path, 'utf8');
  const options = path.startsWith(K8S) ? { version: '1.1' as const } : { merge: true };
  const docs = parseAllDocuments(text, options);
  assert.ok(Array.isArray(docs), `${path}: no YAML document`);
  const out: unknown[] = [];
  for (const [i, doc] of docs.entries()) {
    const where = `${relative(ROOT, path)} document ${i + 1}`;
    assert.deepEqual(doc.errors.map((e) => e.message), [], `${where}: YAML errors`);
    assert.deepEqual(doc.warnings.map((e) => e.message), [], `${where}: YAML warnings`);
    out.push(doc.toJS());
  }
  return out;
}

// Compose durations ("30s", "1m30s", "1.5s") in seconds.
function durationSeconds(value: unknown): number {
  if (typeof value === 'number') return value;
  assert.equal(typeof value, 'string', `a duration, got ${JSON.stringify(value)}`);
  const units: Record<string, number> = { h: 3600, m: 60, s: 1, ms: 0.001, us: 0.000001 };
  const parts = [...(value as string).matchAll(/(\d+(?:\.\d+)?)(h|ms|m|s|us)/g)];
  assert.equal(parts.map((p) => p[0]).join(''), value, `not a duration: ${JSON.stringify(value)}`);
  return parts.reduce((sum, p) => sum + Number(p[1]) * units[p[2]!]!, 0);
}

// The ConfigMap's descriptors, by process name.
const configMapDocs = load(join(K8S, 'configmap.yaml'));
const configMap = obj(configMapDocs[0], '');
const descriptors = new Map<string, Descriptor>();
for (const [key, text] of Object.entries(obj(configMap, 'data'))) {
  const r = typeof text === 'string' ? parseDescriptor(text) : undefined;
  if (r?.ok) descriptors.set(processName(key), r.descriptor);
}

// The image's descriptors (config.example/python/), which Compose runs.
const imageDescriptors = new Map<string, Descriptor>();
for (const file of readdirSync(join(ROOT, 'config.example/python'))) {
  const r = parseDescriptor(readFileSync(join(ROOT, 'config.example/python', file)));
  if (r.ok) imageDescriptors.set(processName(file), r.descriptor);
}

const killTime = (d: Descriptor): number => (d.killTimeMs ?? DEFAULTS.killtime * 1000) / 1000;
const largestKillTime = (procs: Map<string, Descriptor>): number => Math.max(...[...procs.values()].map(killTime));

// The longest a requested shutdown can take with these descriptors (s), after src/supervisor/shutdown.ts: a process
// is stopped once every process that starts `after` it has stopped, and takes at most its kill time;
// then adopted orphans get SIGTERM, SIGKILL after --killtime and 1 s to go; then up to 2 s of output drain.
function shutdownBudget(procs: Map<string, Descriptor>): number {
  const done = new Map<string, number>();
  const finish = (name: string, seen: string[]): number => {
    assert.ok(!seen.includes(name), `"after" cycle: ${[...seen, name].join(' -> ')}`);
    const known = done.get(name);
    if (known !== undefined) return known;
    const d = procs.get(name)!;
    const dependants = [...procs].filter(([, q]) => q.after.includes(name)).map(([n]) => finish(n, [...seen, name]));
    const t = Math.max(0, ...dependants) + killTime(d);
    done.set(name, t);
    return t;
  };
  const chain = Math.max(0, ...[...procs.keys()].map((n) => finish(n, [])));
  return chain + DEFAULTS.killtime + 1 + 2;
}

// A probe or healthcheck command is colony's `ctl check`.
function assertCtlCheck(command: unknown, where: string): void {
  const argv = list(command, where);
  assert.ok(typeof argv[0] === 'string' && /(^|\/)colony$/.test(argv[0]), `${where}: runs ${JSON.stringify(argv[0])}, not colony`);
  assert.deepEqual(argv.slice(1), ['ctl', 'check'], `${where}: not "colony ctl check"`);
}

describe('deploy/: every YAML file', () => {
  const files = yamlFiles(DEPLOY);
  test('there are the Kubernetes manifests and the Compose file', () => {
    const found = files.map((f) => relative(DEPLOY, f));
    for (const f of ['compose.yaml', 'kubernetes/configmap.yaml', 'kubernetes/deployment-shared-pid.yaml', 'kubernetes/deployment.yaml']) assert.ok(found.includes(f), `deploy/${f} is missing`);
  });
  for (const file of files) {
    test(`${relative(ROOT, file)} parses, every document an object`, () => {
      const docs = load(file);
      assert.ok(docs.length > 0);
      for (const d of docs) assert.ok(isObj(d), `${relative(ROOT, file)}: a document is not an object`);
      if (file.startsWith(K8S)) {
        for (const d of docs) {
          const o = obj(d, '');
          assert.equal(typeof o.apiVersion, 'string', 'apiVersion');
          assert.equal(typeof o.kind, 'string', 'kind');
          assert.equal(typeof obj(o, 'metadata').name, 'string', 'metadata.name');
        }
      }
    });
  }
  test('the kinds of each Kubernetes file', () => {
    const kinds = (f: string): unknown[] => load(join(K8S, f)).map((d) => obj(d, '').kind);
    assert.deepEqual(kinds('configmap.yaml'), ['ConfigMap']);
    assert.deepEqual(kinds('deployment.yaml'), ['Deployment', 'Service']);
    assert.deepEqual(kinds('deployment-shared-pid.yaml'), ['Deployment']);
  });
});

describe('deploy/kubernetes/configmap.yaml', () => {
  const data = obj(configMap, 'data');
  test('holds the example processes: redis, web, worker, beat', () => {
    assert.deepEqual(Object.keys(data).map(processName).sort(), ['beat', 'redis', 'web', 'worker']);
  });
  for (const [key, text] of Object.entries(data)) {
    test(`${key} is a valid colony descriptor under a valid process name`, () => {
      assert.equal(invalidNameReason(key), undefined, `key ${key}`);
      assert.equal(typeof text, 'string');
      const r = parseDescriptor(text as string);
      assert.ok(r.ok, r.ok ? '' : r.errors.join('; '));
      assert.deepEqual(r.warnings, []);
    });
    test(`${key} is the same descriptor as config.example/python/${key}`, () => {
      const file = join(ROOT, 'config.example/python', key);
      assert.ok(existsSync(file), `config.example/python/${key} is missing`);
      const mine = parseDescriptor(text as string);
      const theirs = parseDescriptor(readFileSync(file));
      assert.ok(mine.ok && theirs.ok);
      assert.equal(mine.descriptor.canonical, theirs.descriptor.canonical);
    });
  }
  test('every "after" names a process of the ConfigMap, without cycles', () => {
    for (const [name, d] of descriptors) for (const a of d.after) assert.ok(descriptors.has(a), `${name}: after ${a}: no such process`);
    shutdownBudget(descriptors);
  });
});

// The checks both Deployments must pass; returns the pod spec.
function checkDeployment(file: string): Obj {
  const deployment = obj(load(join(K8S, file)).find((d) => isObj(d) && d.kind === 'Deployment'), '');
  const spec = obj(deployment, 'spec.template.spec');
  const podLabels = obj(deployment, 'spec.template.metadata.labels');
  const selector = obj(deployment, 'spec.selector.matchLabels');
  for (const [k, v] of Object.entries(selector)) assert.equal(podLabels[k], v, `selector ${k}=${String(v)} does not match the pod's labels`);

  const containers = list(spec.containers, 'containers').map((c) => obj(c, ''));
  const app = containers.find((c) => c.image === 'colony-example:latest');
  assert.ok(app, 'no container runs colony-example:latest');
  assert.equal(app.command, undefined, "the image's ENTRYPOINT (colony run) is overridden");
  assert.ok(list(app.ports, 'ports').some((p) => isObj(p) && p.containerPort === 8000), 'port 8000');

  for (const probe of ['livenessProbe', 'readinessProbe', 'startupProbe']) {
    if (probe === 'startupProbe' && app[probe] === undefined) continue;
    assertCtlCheck(obj(app, `${probe}.exec`).command, `${file} ${probe}`);
  }

  const grace = spec.terminationGracePeriodSeconds;
  assert.equal(typeof grace, 'number', 'terminationGracePeriodSeconds');
  const largest = largestKillTime(descriptors);
  assert.ok((grace as number) >= largest + 1, `terminationGracePeriodSeconds ${String(grace)} < the largest kill_time ${largest} + 1`);
  const budget = shutdownBudget(descriptors);
  assert.ok((grace as number) >= budget, `terminationGracePeriodSeconds ${String(grace)} < the worst-case shutdown ${budget} s`);

  const volumes = new Map(list(spec.volumes, 'volumes').map((v) => [obj(v, '').name, obj(v, '')]));
  const mounts = list(app.volumeMounts, 'volumeMounts').map((m) => obj(m, ''));
  const configMount = mounts.find((m) => m.mountPath === '/etc/colony/config');
  assert.ok(configMount, 'the ConfigMap is not mounted at /etc/colony/config');
  assert.equal(configMount.subPath, undefined, 'a subPath mount is never updated');
  const configVolume = volumes.get(configMount.name);
  assert.ok(configVolume, `no volume ${String(configMount.name)}`);
  const cm = obj(configVolume, 'configMap');
  assert.equal(cm.name, obj(configMap, 'metadata').name, 'the ConfigMap of configmap.yaml');
  const mode = (cm.defaultMode ?? 0o644) as number;
  assert.equal(mode & 0o022, 0, `defaultMode 0${mode.toString(8)} is writable by group or others: colony would refuse the descriptors`);

  const stateMount = mounts.find((m) => m.mountPath === '/run/colony');
  assert.ok(stateMount, 'no volume at /run/colony');
  assert.ok(isObj(volumes.get(stateMount.name)?.emptyDir), '/run/colony is not an emptyDir');
  return spec;
}

describe('deploy/kubernetes/deployment.yaml', () => {
  test('the colony-example Deployment: image, probes, grace period, volumes', () => {
    const spec = checkDeployment('deployment.yaml');
    assert.notEqual(spec.shareProcessNamespace, true, 'colony should be PID 1 here');
  });
  test('the Service reaches port 8000 of those pods', () => {
    const docs = load(join(K8S, 'deployment.yaml')).map((d) => obj(d, ''));
    const deployment = docs.find((d) => d.kind === 'Deployment')!;
    const service = docs.find((d) => d.kind === 'Service')!;
    const labels = obj(deployment, 'spec.template.metadata.labels');
    for (const [k, v] of Object.entries(obj(service, 'spec.selector'))) assert.equal(labels[k], v);
    const port = obj(list(obj(service, 'spec').ports, 'ports')[0], '');
    assert.ok(port.targetPort === 8000 || port.targetPort === 'http', `targetPort ${String(port.targetPort)}`);
  });
});

describe('deploy/kubernetes/deployment-shared-pid.yaml', () => {
  test('the same checks, with a shared PID namespace and a sidecar', () => {
    const spec = checkDeployment('deployment-shared-pid.yaml');
    assert.equal(spec.shareProcessNamespace, true);
    assert.ok(list(spec.containers, 'containers').length >= 2, 'a sidecar');
  });
});

describe('deploy/compose.yaml', () => {
  const compose = obj(load(join(DEPLOY, 'compose.yaml'))[0], '');
  const services = obj(compose, 'services');
  test('the app service: built from the repository Dockerfile, port 8000', () => {
    const app = obj(services, 'app');
    const build = obj(app, 'build');
    assert.ok(existsSync(join(DEPLOY, String(build.context), String(build.dockerfile ?? 'Dockerfile'))), 'the build context holds the Dockerfile');
    assert.equal(app.image, 'colony-example:latest');
    assert.ok(list(app.ports, 'ports').some((p) => String(p).endsWith(':8000')), 'port 8000');
  });
  for (const [name, value] of Object.entries(services)) {
    test(`${name}: colony is the init, the stop grace period covers the kill times, the healthcheck is ctl check`, () => {
      const s = obj(value, '');
      assert.equal(s.init, false);
      assert.ok(s.stop_signal === undefined || s.stop_signal === 'SIGTERM', `stop_signal ${String(s.stop_signal)}`);
      const grace = durationSeconds(s.stop_grace_period);
      const largest = largestKillTime(imageDescriptors);
      assert.ok(grace >= largest + 1, `stop_grace_period ${grace} s < the largest kill_time ${largest} + 1`);
      const budget = shutdownBudget(imageDescriptors);
      assert.ok(grace >= budget, `stop_grace_period ${grace} s < the worst-case shutdown ${budget} s`);
      const hc = list(obj(s, 'healthcheck').test, 'healthcheck.test');
      assert.equal(hc[0], 'CMD');
      assertCtlCheck(hc.slice(1), `${name} healthcheck`);
    });
  }
  test('an example of descriptors mounted over /etc/colony/config', () => {
    const mounted = Object.values(services).some((s) =>
      list(obj(s, '').volumes ?? [], 'volumes').some((v) => (isObj(v) ? v.target : String(v).split(':')[1]) === '/etc/colony/config'),
    );
    assert.ok(mounted);
  });
});
