// Checks deploy/kubernetes against the code it deploys, as docker-compose.test.ts checks compose:
// the drain fits the grace period, probes ask the paths the worker serves on the port it listens
// on, secrets hold the credentials, every variable set is one the code reads, the PodMonitor
// scrapes the metrics port, and resources are sized from docs/PERFORMANCE.md. Needs no cluster.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { z } from 'zod';
import { parseConfigText } from '../../config/config-file';
import {
  CACHED_WORKFLOW_KIB,
  DEFAULT_SHUTDOWN_GRACE_TIME,
  defaultMaxCachedWorkflows,
} from '../../worker/create-worker';
import { unreadVariables } from '../helpers/environment-readers';

const ROOT = resolve(__dirname, '..', '..');
const DIR = join(ROOT, 'deploy', 'kubernetes');

const metadata = z.looseObject({ name: z.string().optional(), generateName: z.string().optional() });
const resource = z.looseObject({ apiVersion: z.string(), kind: z.string(), metadata });
type Resource = z.infer<typeof resource>;

const envVar = z.looseObject({
  name: z.string(),
  value: z.string().optional(),
  valueFrom: z
    .looseObject({
      secretKeyRef: z.looseObject({ name: z.string(), key: z.string(), optional: z.boolean().optional() }).optional(),
    })
    .optional(),
});
const probe = z.looseObject({ httpGet: z.looseObject({ path: z.string(), port: z.union([z.string(), z.number()]) }) });
const container = z.looseObject({
  name: z.string(),
  image: z.string(),
  command: z.array(z.string()).optional(),
  envFrom: z.array(z.looseObject({ configMapRef: z.looseObject({ name: z.string() }).optional() })).optional(),
  env: z.array(envVar).optional(),
  ports: z.array(z.looseObject({ name: z.string(), containerPort: z.number() })).optional(),
  startupProbe: probe.optional(),
  livenessProbe: probe.optional(),
  readinessProbe: probe.optional(),
  resources: z.looseObject({
    requests: z.looseObject({ cpu: z.string(), memory: z.string() }),
    limits: z.looseObject({ memory: z.string() }),
  }),
  securityContext: z.looseObject({ readOnlyRootFilesystem: z.boolean().optional() }).optional(),
  volumeMounts: z.array(z.looseObject({ name: z.string(), mountPath: z.string() })).optional(),
});
const podSpec = z.looseObject({
  terminationGracePeriodSeconds: z.number().optional(),
  securityContext: z.looseObject({ runAsNonRoot: z.boolean().optional() }).optional(),
  containers: z.array(container),
  volumes: z
    .array(z.looseObject({ name: z.string(), configMap: z.looseObject({ name: z.string() }).optional() }))
    .optional(),
});
const deploymentSchema = resource.extend({
  spec: z.looseObject({
    selector: z.looseObject({ matchLabels: z.record(z.string(), z.string()) }),
    template: z.looseObject({
      metadata: z.looseObject({ labels: z.record(z.string(), z.string()) }),
      spec: podSpec,
    }),
  }),
});
const jobSchema = resource.extend({ spec: z.looseObject({ template: z.looseObject({ spec: podSpec }) }) });
const configMapSchema = resource.extend({ data: z.record(z.string(), z.string()) });
const secretSchema = resource.extend({ stringData: z.record(z.string(), z.string()) });
const podMonitorSchema = resource.extend({
  spec: z.looseObject({
    selector: z.looseObject({ matchLabels: z.record(z.string(), z.string()) }),
    podMetricsEndpoints: z.array(z.looseObject({ port: z.string(), path: z.string() })),
  }),
});
const kustomizationSchema = z.looseObject({ resources: z.array(z.string()) });

function load(file: string): Resource[] {
  return parseAllDocuments(readFileSync(join(DIR, file), 'utf8')).map((doc) => {
    if (doc.errors.length > 0) throw new Error(`${file}: ${doc.errors[0]?.message}`);
    return resource.parse(doc.toJSON());
  });
}

const files = readdirSync(DIR).filter((file) => file.endsWith('.yaml') && file !== 'kustomization.yaml');
const all = files.flatMap((file) => load(file).map((r) => ({ file, r })));
function only<T>(kind: string, schema: z.ZodType<T>, name?: string): T {
  const found = all.filter(({ r }) => r.kind === kind && (name === undefined || r.metadata.name === name));
  if (found.length !== 1) throw new Error(`expected one ${kind}${name ? ` ${name}` : ''}, found ${found.length}`);
  return schema.parse((found[0] as { r: Resource }).r);
}

const deployment = only('Deployment', deploymentSchema);
const worker = deployment.spec.template.spec.containers[0] as z.infer<typeof container>;
const envConfigMap = only('ConfigMap', configMapSchema, 'cache-warmer-env');
const secret = only('Secret', secretSchema);
const env = envConfigMap.data;
const portOf = (address: string | undefined) => Number(/:(\d+)$/.exec(address ?? '')?.[1]);
const namedPort = (name: string | number) =>
  typeof name === 'number' ? name : worker.ports?.find((port) => port.name === name)?.containerPort;

/** Kubernetes quantities: Mi/Gi memory, millicores. */
function mebibytes(quantity: string): number {
  const match = /^(\d+(?:\.\d+)?)(Mi|Gi)$/.exec(quantity);
  if (!match) throw new Error(`unexpected memory quantity ${quantity}`);
  return Number(match[1]) * (match[2] === 'Gi' ? 1024 : 1);
}

test('kustomization lists every manifest but the example Secret and the one-shot Job, and each exists', () => {
  const kustomization = kustomizationSchema.parse(
    parseAllDocuments(readFileSync(join(DIR, 'kustomization.yaml'), 'utf8'))[0]?.toJSON(),
  );
  for (const file of kustomization.resources) expect(existsSync(join(DIR, file))).toBe(true);
  expect([...kustomization.resources].sort()).toEqual(
    files.filter((file) => !file.endsWith('.example.yaml') && file !== 'apply-job.yaml').sort(),
  );
});

test('gives the worker longer to stop than its drain of in-flight warms', () => {
  const drainSeconds = Number(/^(\d+)s$/.exec(DEFAULT_SHUTDOWN_GRACE_TIME)?.[1]);
  expect(drainSeconds).toBeGreaterThan(0);
  expect(deployment.spec.template.spec.terminationGracePeriodSeconds).toBeGreaterThanOrEqual(drainSeconds + 10);
});

test('probes ask /livez and /readyz on the port WARMING_HEALTH_ADDRESS serves them on', () => {
  const healthPort = portOf(env.WARMING_HEALTH_ADDRESS);
  expect(healthPort).toBeGreaterThan(0);
  const serverSource = readFileSync(join(ROOT, 'worker', 'health-server.ts'), 'utf8');
  for (const [probeName, path] of [
    ['startupProbe', '/livez'],
    ['livenessProbe', '/livez'],
    ['readinessProbe', '/readyz'],
  ] as const) {
    const get = worker[probeName]?.httpGet;
    expect({ probeName, path: get?.path, port: namedPort(get?.port ?? '') }).toEqual({
      probeName,
      path,
      port: healthPort,
    });
    expect(serverSource).toContain(`'${path}'`);
  }
  // Liveness never waits on Redis or Temporal: a restart would not fix them (docs/operations.md#health).
  expect(worker.livenessProbe?.httpGet.path).not.toBe(worker.readinessProbe?.httpGet.path);
});

test('TEMPORAL_API_KEY and REDIS_URL come from the Secret, never from the ConfigMap', () => {
  for (const name of ['TEMPORAL_API_KEY', 'REDIS_URL']) {
    const ref = worker.env?.find((entry) => entry.name === name)?.valueFrom?.secretKeyRef;
    expect({ name, secret: ref?.name, key: ref?.key }).toEqual({ name, secret: secret.metadata.name, key: name });
    expect(Object.keys(secret.stringData)).toContain(name);
    expect(Object.keys(env)).not.toContain(name);
  }
  // An absent key must mean "no API key": an empty one would still turn TLS on.
  expect(worker.env?.find((entry) => entry.name === 'TEMPORAL_API_KEY')?.valueFrom?.secretKeyRef?.optional).toBe(true);
});

test('sets only variables the worker code, Temporal envconfig or Node reads', () => {
  const names = [...Object.keys(env), ...(worker.env ?? []).map((entry) => entry.name)];
  expect(names).toEqual(expect.arrayContaining(['TEMPORAL_ADDRESS', 'TEMPORAL_NAMESPACE', 'WARMING_METRICS_ADDRESS']));
  expect(unreadVariables(names)).toEqual([]);
  expect(worker.envFrom?.map((source) => source.configMapRef?.name)).toEqual([envConfigMap.metadata.name]);
});

test('mounts the config where WARMING_CONFIG points, and the config is valid', () => {
  const mount = worker.volumeMounts?.find((m) => env.WARMING_CONFIG?.startsWith(`${m.mountPath}/`));
  expect(mount).toBeDefined();
  const volume = deployment.spec.template.spec.volumes?.find((v) => v.name === mount?.name);
  const configMap = only('ConfigMap', configMapSchema, volume?.configMap?.name);
  const file = (env.WARMING_CONFIG ?? '').slice((mount?.mountPath.length ?? 0) + 1);
  const text = configMap.data[file];
  expect(text).toBeDefined();
  expect(() => parseConfigText(text ?? '', file)).not.toThrow();
});

test('the PodMonitor scrapes the worker pods on the port WARMING_METRICS_ADDRESS serves', () => {
  const monitor = only('PodMonitor', podMonitorSchema);
  expect(monitor.apiVersion).toBe('monitoring.coreos.com/v1');
  expect(deployment.spec.template.metadata.labels).toMatchObject(monitor.spec.selector.matchLabels);
  expect(deployment.spec.selector.matchLabels).toEqual(monitor.spec.selector.matchLabels);
  const [endpoint] = monitor.spec.podMetricsEndpoints;
  expect(endpoint?.path).toBe('/metrics');
  expect(namedPort(endpoint?.port ?? '')).toBe(portOf(env.WARMING_METRICS_ADDRESS));
  // Bound to every interface, or Prometheus could not reach it from outside the pod.
  expect(env.WARMING_METRICS_ADDRESS?.startsWith('0.0.0.0:')).toBe(true);
});

test('requests and limits follow the measured memory, with the V8 heap under the limit', () => {
  // docs/PERFORMANCE.md: peak 1 146 MiB with 2 000 task workflows; with 10 000, the scale row's peak over its idle worker.
  const performance = readFileSync(join(ROOT, 'docs', 'PERFORMANCE.md'), 'utf8');
  expect(performance).toMatch(/worker peak RSS, 2 000 tasks\s*\|.*\|\s*1 146 MiB/);
  const row = /\| scale-tasks-worker-rss\s*\|\s*([\d,]+) MiB[^|]*\|[^|]*\|\s*([\d,]+) \[/.exec(performance);
  expect(row).not.toBeNull();
  const mib = (n: string | undefined) => Number(n?.replace(/,/g, ''));
  const peak = mib(row?.[1]);
  const idle = mib(row?.[2]);
  // The default cache budgets at least what one of 10 000 cached task workflows measured.
  expect(((peak - idle) * 1024) / 10_000).toBeLessThanOrEqual(CACHED_WORKFLOW_KIB);
  const requested = mebibytes(worker.resources.requests.memory);
  const limit = mebibytes(worker.resources.limits.memory);
  expect(requested).toBeGreaterThanOrEqual(1_146 * 0.85); // about the 2 000-task peak
  const heap = Number(/--max-old-space-size=(\d+)/.exec(env.NODE_OPTIONS ?? '')?.[1]);
  expect(heap).toBeGreaterThan(0);
  expect(heap).toBeLessThanOrEqual(limit - 384); // native memory and buffers beside the heap
  expect(worker.resources.requests.cpu).toMatch(/^\d+m$|^\d+$/);
  // The default cache this heap gives, full, fits the limit beside the worker's idle memory.
  const fullCacheMiB = (defaultMaxCachedWorkflows(heap) * CACHED_WORKFLOW_KIB) / 1024;
  expect(idle + fullCacheMiB).toBeLessThanOrEqual(limit);
});

test('runs as non-root with a read-only root filesystem, and pins the image tag', () => {
  expect(deployment.spec.template.spec.securityContext?.runAsNonRoot).toBe(true);
  expect(worker.securityContext?.readOnlyRootFilesystem).toBe(true);
  const kustomization = readFileSync(join(DIR, 'kustomization.yaml'), 'utf8');
  expect(kustomization).toMatch(new RegExp(`- name: ${worker.image}\\n\\s+newTag: \\d+\\.\\d+\\.\\d+`));
});

test('deploys the version the package is: the image tag of the worker and of the apply Job', () => {
  const { version } = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string };
  const kustomization = readFileSync(join(DIR, 'kustomization.yaml'), 'utf8');
  expect(new RegExp(`- name: ${worker.image}\\n\\s+newTag: (\\S+)`).exec(kustomization)?.[1]).toBe(version);
  expect(only('Job', jobSchema).spec.template.spec.containers[0]?.image).toBe(`${worker.image}:${version}`);
  expect(readFileSync(join(ROOT, 'docs', 'kubernetes.md'), 'utf8')).toContain(`temporal-cache-warmer:${version} `);
});

test('the apply Job runs the published warmctl with the same environment and config', () => {
  const job = only('Job', jobSchema);
  const [apply] = job.spec.template.spec.containers;
  expect(apply?.command).toEqual(['node', 'dist/cli/warmctl.js', 'apply', '-f', env.WARMING_CONFIG]);
  expect(apply?.envFrom).toEqual(worker.envFrom);
  for (const name of ['TEMPORAL_API_KEY', 'REDIS_URL']) {
    expect(apply?.env?.find((e) => e.name === name)).toEqual(worker.env?.find((e) => e.name === name));
  }
  const heap = Number(
    /--max-old-space-size=(\d+)/.exec(apply?.env?.find((e) => e.name === 'NODE_OPTIONS')?.value ?? '')?.[1],
  );
  expect(heap).toBeLessThan(mebibytes(apply?.resources.limits.memory ?? '0Mi'));
});
