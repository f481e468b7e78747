// Checks docker-compose.yml and the Dockerfile against the code they deploy: service wiring, ports,
// the environment variables the worker reads, image pins and mounted files. Needs no Docker.
import { existsSync, readFileSync } from 'node:fs';
import { isAbsolute, join, posix, resolve } from 'node:path';
import { parse } from 'yaml';
import { z } from 'zod';
import { parseConfigText } from '../../config/config-file';
import { DEFAULT_SHUTDOWN_GRACE_TIME } from '../../worker/create-worker';
import { readEnvironment } from '../../config/environment';
import { unreadVariables } from '../helpers/environment-readers';

const ROOT = resolve(__dirname, '..', '..');
const read = (path: string) => readFileSync(join(ROOT, path), 'utf8');

// Only the parts of the compose format these tests look at; everything else passes through.
const stringList = z.array(z.string());
const scalar = z.union([z.string(), z.number(), z.boolean(), z.null()]);
const serviceSchema = z.looseObject({
  image: z.string().optional(),
  build: z.union([z.string(), z.looseObject({ context: z.string(), dockerfile: z.string().optional() })]).optional(),
  command: z.union([z.string(), stringList]).optional(),
  environment: z.union([stringList, z.record(z.string(), scalar)]).optional(),
  ports: z
    .array(z.union([z.string(), z.number(), z.looseObject({ target: z.number(), published: scalar })]))
    .optional(),
  depends_on: z
    .union([stringList, z.record(z.string(), z.looseObject({ condition: z.string().optional() }))])
    .optional(),
  volumes: z
    .array(z.union([z.string(), z.looseObject({ source: z.string().optional(), target: z.string() })]))
    .optional(),
  healthcheck: z
    .looseObject({ test: z.union([z.string(), stringList]).optional(), disable: z.boolean().optional() })
    .optional(),
  profiles: stringList.optional(),
  stop_grace_period: z.string().optional(),
});
type Service = z.infer<typeof serviceSchema>;
const composeSchema = z.looseObject({ services: z.record(z.string(), serviceSchema) });

const compose = composeSchema.parse(parse(read('docker-compose.yml')));
const services = compose.services;

function service(name: string): Service {
  const found = services[name];
  if (!found) throw new Error(`docker-compose.yml has no service "${name}"`);
  return found;
}

/** Compose interpolation as `docker compose` does it with nothing set in the shell: defaults only. */
function interpolate(value: string): string {
  return value
    .replace(
      /\$\{([A-Za-z_][A-Za-z0-9_]*)(?::?-([^}]*))?\}/g,
      (_match, _name: string, fallback?: string) => fallback ?? '',
    )
    .replace(/\$\$/g, '$');
}

function environmentOf(name: string): Record<string, string> {
  const env = service(name).environment ?? {};
  const entries = Array.isArray(env)
    ? env.map((line) => [line.split('=')[0] ?? line, line.slice(line.indexOf('=') + 1)] as const)
    : Object.entries(env).map(([key, value]) => [key, value === null ? '' : String(value)] as const);
  return Object.fromEntries(entries.map(([key, value]) => [key, interpolate(value)]));
}

interface PortMapping {
  published: number;
  target: number;
}

function portsOf(name: string): PortMapping[] {
  return (service(name).ports ?? []).map((port) => {
    if (typeof port === 'object') return { published: Number(port.published), target: port.target };
    const parts = interpolate(String(port))
      .replace(/\/(tcp|udp)$/, '')
      .split(':');
    const target = Number(parts.at(-1));
    return { published: parts.length > 1 ? Number(parts.at(-2)) : target, target };
  });
}

function dependenciesOf(svc: Service): Record<string, string> {
  const deps = svc.depends_on ?? {};
  if (Array.isArray(deps)) return Object.fromEntries(deps.map((dep) => [dep, 'service_started']));
  return Object.fromEntries(Object.entries(deps).map(([dep, spec]) => [dep, spec.condition ?? 'service_started']));
}

interface Mount {
  source: string;
  target: string;
}

function bindMountsOf(svc: Service): Mount[] {
  return (svc.volumes ?? []).flatMap((volume) => {
    if (typeof volume === 'object') return volume.source ? [{ source: volume.source, target: volume.target }] : [];
    const [source, target] = interpolate(volume).split(':');
    if (source === undefined || target === undefined) return [];
    return [{ source, target }];
  });
}

/** The repository file a container path resolves to through the service's bind mounts. */
function hostPathOf(svc: Service, containerPath: string): string | undefined {
  for (const { source, target } of bindMountsOf(svc)) {
    const relative = posix.relative(target, containerPath);
    if (!relative.startsWith('..') && !posix.isAbsolute(relative) && (source.startsWith('.') || isAbsolute(source))) {
      return resolve(ROOT, source, relative);
    }
  }
  return undefined;
}

function hostAndPort(address: string): { host: string; port: number } {
  const url = new URL(address.includes('://') ? address : `grpc://${address}`);
  return { host: url.hostname, port: Number(url.port) };
}

interface DockerfileStage {
  from: string;
  name: string | undefined;
  instructions: { keyword: string; args: string }[];
}

function dockerfileStages(text: string): DockerfileStage[] {
  const lines = text
    .replace(/\\\r?\n/g, ' ')
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'));
  const stages: DockerfileStage[] = [];
  for (const line of lines) {
    const [keyword = '', ...rest] = line.split(/\s+/);
    const args = rest.join(' ');
    if (keyword.toUpperCase() === 'FROM') {
      const match = /^(?:--\S+\s+)*(\S+)(?:\s+AS\s+(\S+))?$/i.exec(args);
      stages.push({ from: match?.[1] ?? args, name: match?.[2], instructions: [] });
    } else {
      stages.at(-1)?.instructions.push({ keyword: keyword.toUpperCase(), args });
    }
  }
  return stages;
}

const runsOf = (stage: DockerfileStage) => stage.instructions.filter((i) => i.keyword === 'RUN').map((i) => i.args);
const WORKER_SERVICES = ['worker', 'apply'];

describe('docker-compose.yml', () => {
  test('defines the Temporal stack, Redis, the worker and the one-shot apply', () => {
    for (const name of ['postgresql', 'temporal', 'temporal-ui', 'redis', 'worker', 'apply']) {
      expect(services).toHaveProperty([name]);
    }
  });

  test('builds the worker and apply images from the repository root with a Dockerfile that exists', () => {
    for (const name of WORKER_SERVICES) {
      const build = service(name).build;
      const context = typeof build === 'string' ? build : build?.context;
      const dockerfile = (typeof build === 'object' && build.dockerfile) || 'Dockerfile';
      expect(context).toBeDefined();
      expect(resolve(ROOT, context ?? '')).toBe(ROOT);
      expect(existsSync(join(ROOT, dockerfile))).toBe(true);
    }
  });

  test('points the worker, apply and the UI at the temporal service on the port it serves gRPC on', () => {
    const served = portsOf('temporal').map((port) => port.target);
    expect(served).toContain(7233);
    for (const name of [...WORKER_SERVICES, 'temporal-ui']) {
      const address = environmentOf(name).TEMPORAL_ADDRESS;
      expect(address).toBeDefined();
      const { host, port } = hostAndPort(address ?? '');
      expect({ name, host }).toEqual({ name, host: 'temporal' });
      expect(served).toContain(port);
    }
  });

  test('points the worker and apply at the redis service on the port Redis listens on', () => {
    for (const name of WORKER_SERVICES) {
      const url = new URL(environmentOf(name).REDIS_URL ?? '');
      expect(url.protocol).toBe('redis:');
      expect(services).toHaveProperty([url.hostname]);
      expect(url.hostname).toBe('redis');
      expect(portsOf('redis').map((port) => port.target)).toContain(Number(url.port || 6379));
    }
  });

  test('sets only environment variables that the worker code or Temporal envconfig reads', () => {
    expect(read('config/environment.ts')).toMatch(/from '@temporalio\/envconfig'/);
    for (const name of WORKER_SERVICES) {
      expect({ service: name, unread: unreadVariables(Object.keys(environmentOf(name))) }).toEqual({
        service: name,
        unread: [],
      });
    }
  });

  test('documents only variables the code reads in the example environment for an external cluster', () => {
    // Commented-out lines count too: they are the ones users uncomment.
    const names = [...read('deploy/external.env.example').matchAll(/^#?\s*([A-Z][A-Z0-9_]*)=/gm)].map(
      (m) => m[1] ?? '',
    );
    expect(names).toEqual(expect.arrayContaining(['TEMPORAL_ADDRESS', 'TEMPORAL_NAMESPACE', 'REDIS_URL']));
    expect(unreadVariables(names)).toEqual([]);
  });

  test('hands the worker the values compose sets once the environment is read', () => {
    const env = environmentOf('worker');
    expect(readEnvironment(env)).toMatchObject({
      temporalAddress: 'temporal:7233',
      namespace: env.TEMPORAL_NAMESPACE ?? 'default',
      taskQueue: env.TEMPORAL_TASK_QUEUE ?? 'cache-warming',
      redisUrl: 'redis://redis:6379',
      configPath: '/config/warming.config.json',
      prefix: env.WARMING_PREFIX ?? 'cw:',
    });
    expect(environmentOf('apply')).toEqual(env);
  });

  test('publishes Temporal gRPC on 7233, the UI on 8233 and Redis on 6379', () => {
    expect(portsOf('temporal')).toContainEqual({ published: 7233, target: 7233 });
    expect(portsOf('redis')).toContainEqual({ published: 6379, target: 6379 });
    const uiPort = Number(environmentOf('temporal-ui').TEMPORAL_UI_PORT ?? 8080);
    expect(portsOf('temporal-ui')).toContainEqual({ published: 8233, target: uiPort });
  });

  test('pins every pulled image to an explicit tag that is not latest', () => {
    for (const [name, svc] of Object.entries(services)) {
      if (svc.image === undefined) {
        expect({ name, build: svc.build !== undefined }).toEqual({ name, build: true });
        continue;
      }
      if (svc.build !== undefined) continue; // built here and tagged locally
      const image = interpolate(svc.image);
      const lastSegment = image.split('/').at(-1) ?? '';
      const tag = lastSegment.includes('@') ? 'digest' : lastSegment.split(':')[1];
      expect({ name, image, tagged: tag !== undefined && tag !== '' && tag !== 'latest' }).toEqual({
        name,
        image,
        tagged: true,
      });
    }
  });

  test('depends only on services that exist, waiting for health only where a healthcheck is defined', () => {
    const conditions = ['service_started', 'service_healthy', 'service_completed_successfully'];
    for (const [name, svc] of Object.entries(services)) {
      for (const [dep, condition] of Object.entries(dependenciesOf(svc))) {
        expect({ name, dep, exists: dep in services }).toEqual({ name, dep, exists: true });
        expect(conditions).toContain(condition);
        if (condition === 'service_healthy') {
          const healthcheck = services[dep]?.healthcheck;
          expect({ name, dep, healthcheck: healthcheck?.test !== undefined && healthcheck.disable !== true }).toEqual({
            name,
            dep,
            healthcheck: true,
          });
        }
      }
    }
    expect(dependenciesOf(service('worker'))).toMatchObject({ redis: 'service_healthy' });
  });

  test('makes the worker wait, directly or through setup steps, for Temporal, PostgreSQL and Redis', () => {
    const waitsFor = new Set<string>();
    const visit = (name: string) => {
      for (const dep of Object.keys(dependenciesOf(service(name)))) {
        if (!waitsFor.has(dep)) {
          waitsFor.add(dep);
          visit(dep);
        }
      }
    };
    visit('worker');
    expect([...waitsFor]).toEqual(expect.arrayContaining(['temporal', 'postgresql', 'redis']));
  });

  test('mounts the example config where WARMING_CONFIG and apply -f look for it, and the config is valid', () => {
    const applyCommand = service('apply').command;
    expect(applyCommand).toEqual(['node', 'dist/cli/warmctl.js', 'apply', '-f', '/config/warming.config.json']);
    const applyFile = Array.isArray(applyCommand) ? applyCommand[applyCommand.indexOf('-f') + 1] : undefined;
    const wanted = [
      ['worker', environmentOf('worker').WARMING_CONFIG],
      ['apply', environmentOf('apply').WARMING_CONFIG],
      ['apply', applyFile],
    ] as const;
    for (const [name, containerPath] of wanted) {
      expect(containerPath).toBeDefined();
      const hostPath = hostPathOf(service(name), containerPath ?? '');
      expect(hostPath).toBe(join(ROOT, 'examples', 'docker', 'warming.config.json'));
      expect(existsSync(hostPath ?? '')).toBe(true);
      expect(() => parseConfigText(readFileSync(hostPath ?? '', 'utf8'), hostPath ?? '')).not.toThrow();
    }
  });

  test("the mounted example's loaders reach the origin service, and it matches the local example but for the host", () => {
    const dockerConfig = readFileSync(join(ROOT, 'examples', 'docker', 'warming.config.json'), 'utf8');
    const urls = [...dockerConfig.matchAll(/"url": "([^"]+)"/g)].map(
      (m) => new URL((m[1] as string).replace(/[{}]/g, '')),
    );
    expect(urls.length).toBeGreaterThan(0);
    for (const url of urls) {
      expect(url.hostname).toBe('origin');
      expect(Number(url.port)).toBe(Number(environmentOf('origin').DEMO_ORIGIN_PORT));
    }
    expect(service('origin').command).toEqual(['node', 'dist/scripts/demo-origin.js']);
    expect(existsSync(join(ROOT, 'scripts', 'demo-origin.ts'))).toBe(true);
    const local = readFileSync(join(ROOT, 'examples', 'warming.config.json'), 'utf8');
    expect(dockerConfig).toBe(local.replaceAll('http://127.0.0.1:8080', 'http://origin:8080'));
  });

  test('bind-mounts only paths that exist in the repository', () => {
    for (const [name, svc] of Object.entries(services)) {
      for (const { source } of bindMountsOf(svc)) {
        if (!source.startsWith('.')) continue; // a named volume
        expect({ name, source, exists: existsSync(resolve(ROOT, source)) }).toEqual({ name, source, exists: true });
      }
    }
  });

  test('runs the CLI entry point that package.json publishes as warmctl', () => {
    const pkg = z.object({ bin: z.record(z.string(), z.string()) }).parse(JSON.parse(read('package.json')));
    const command = service('apply').command;
    expect(Array.isArray(command) ? command[1] : undefined).toBe(pkg.bin.warmctl);
  });

  test('lets apply be run on demand without starting it on `up`', () => {
    expect(service('apply').profiles?.length ?? 0).toBeGreaterThan(0);
    expect(Object.keys(dependenciesOf(service('apply')))).toContain('worker');
  });

  test('gives the worker longer to stop than its shutdown grace time for in-flight warms', () => {
    expect(read('worker/create-worker.ts')).toMatch(/shutdownGraceTime \?\? DEFAULT_SHUTDOWN_GRACE_TIME/);
    const grace = /^(\d+)s$/.exec(DEFAULT_SHUTDOWN_GRACE_TIME);
    expect(grace).not.toBeNull();
    const stop = /^(\d+)s$/.exec(service('worker').stop_grace_period ?? '');
    expect(stop).not.toBeNull();
    expect(Number(stop?.[1])).toBeGreaterThan(Number(grace?.[1]));
  });
});

describe('Dockerfile', () => {
  const stages = dockerfileStages(read('Dockerfile'));
  const final = stages.at(-1);
  const stage = (name: string) => stages.find((candidate) => candidate.name === name);
  const copiedFrom = (target: DockerfileStage, path: string) =>
    target.instructions
      .filter((i) => i.keyword === 'COPY')
      .map((i) => /--from=(\S+)\s+(\S+)/.exec(i.args))
      .filter((match): match is RegExpExecArray => match !== null && match[2]?.replace(/^\/app\//, '') === path)
      .map((match) => match[1]);

  test('runs the compiled worker as the final command', () => {
    const cmd = final?.instructions.filter((i) => i.keyword === 'CMD').at(-1);
    expect(cmd).toBeDefined();
    expect(JSON.parse(cmd?.args ?? 'null')).toEqual(['node', 'dist/worker/main.js']);
    expect(existsSync(join(ROOT, 'worker', 'main.ts'))).toBe(true);
  });

  test('compiles with npm run build in a stage with full dependencies and ships its dist/', () => {
    const [from] = final ? copiedFrom(final, 'dist') : [];
    expect(from).toBeDefined();
    const build = stage(from ?? '');
    expect(build).toBeDefined();
    const runs = build ? runsOf(build) : [];
    expect(runs).toContainEqual(expect.stringMatching(/\bnpm ci\b(?!.*--omit=dev)/));
    expect(runs).toContainEqual(expect.stringMatching(/\bnpm run build\b/));
  });

  test('builds and ships on a supported Node LTS (22 or 24; 20 is past end of life), production dependencies only', () => {
    for (const stage of stages) expect(stage.from).toMatch(/^node:(22|24)-bookworm-slim$/);
    const [from] = final ? copiedFrom(final, 'node_modules') : [];
    const deps = stage(from ?? '');
    expect(deps).toBeDefined();
    expect(deps ? runsOf(deps) : []).toContainEqual(expect.stringMatching(/\bnpm ci --omit=dev\b/));
  });

  test('runs as a non-root user behind an init that forwards SIGTERM', () => {
    const user = final?.instructions.filter((i) => i.keyword === 'USER').at(-1)?.args;
    expect(user).toBeDefined();
    expect(['root', '0', '0:0']).not.toContain(user);
    const entrypoint = final?.instructions.filter((i) => i.keyword === 'ENTRYPOINT').at(-1)?.args;
    const init = entrypoint ? (JSON.parse(entrypoint) as string[])[0] : undefined;
    const composeInit = service('worker').init === true;
    expect(composeInit || (init !== undefined && /tini|dumb-init/.test(init))).toBe(true);
  });

  test('prebuilds the workflow bundle in the build stage and points the worker at it', () => {
    const runs = stage('build') ? runsOf(stage('build') as DockerfileStage) : [];
    // `npm run build` writes the bundle (scripts/build-workflow-bundle.ts) to dist/workflow-bundle.js.
    expect(runs.some((run) => /\bnpm run build\b/.test(run))).toBe(true);
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { scripts: { build: string } };
    expect(pkg.scripts.build).toContain('node dist/scripts/build-workflow-bundle.js');
    expect(existsSync(join(ROOT, 'scripts', 'build-workflow-bundle.ts'))).toBe(true);
    const built = 'dist/workflow-bundle.js';
    const env =
      final?.instructions
        .filter((i) => i.keyword === 'ENV')
        .map((i) => i.args)
        .join(' ') ?? '';
    const bundle = /WARMING_WORKFLOW_BUNDLE=(\S+)/.exec(env)?.[1];
    expect(bundle).toBe(`/app/${built}`);
    expect(copiedFrom(final as DockerfileStage, 'dist')).toEqual(['build']);
    // npm run worker reads it through worker/worker-from-environment.ts.
    expect(read('worker/worker-from-environment.ts')).toMatch(/\benv\.WARMING_WORKFLOW_BUNDLE\b/);
  });

  test('has a HEALTHCHECK that runs the compiled healthcheck against the health address the image sets', () => {
    const check = final?.instructions.filter((i) => i.keyword === 'HEALTHCHECK').at(-1)?.args ?? '';
    const command = /CMD (\[.*\])$/.exec(check)?.[1];
    expect(JSON.parse(command ?? 'null')).toEqual(['node', 'dist/worker/healthcheck.js']);
    expect(existsSync(join(ROOT, 'worker', 'healthcheck.ts'))).toBe(true);
    const env =
      final?.instructions
        .filter((i) => i.keyword === 'ENV')
        .map((i) => i.args)
        .join(' ') ?? '';
    expect(env).toMatch(/WARMING_HEALTH_ADDRESS=0\.0\.0\.0:\d+/);
    // Containers of the same image that are not the worker opt out.
    for (const name of ['apply', 'origin']) expect(service(name).healthcheck?.disable).toBe(true);
  });

  test('keeps local state out of the build context', () => {
    const ignored = read('.dockerignore')
      .split(/\r?\n/)
      .map((line) => line.trim().replace(/^\/|\/$/g, ''));
    expect(ignored).toEqual(
      expect.arrayContaining(['node_modules', 'dist', '.tools', '.data', '.tmp', '.git', 'bench/results']),
    );
  });
});
