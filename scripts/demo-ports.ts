// The loopback ports `npm run demo` serves on: each service's usual port when it is free, else a
// free one, so a machine that already runs Redis, Temporal or a web server still runs the demo.
import { findFreePort, isPortFree } from './local-stack';

/** One port per service the demo starts. */
export interface DemoPorts {
  /** Temporal dev server frontend (gRPC). */
  temporal: number;
  /** Temporal Web UI. */
  ui: number;
  redis: number;
  /** The demo's slow HTTP origin. */
  origin: number;
}

/** The ports a fresh machine gives the demo, the ones Temporal, Redis and the example config use. */
export const DEFAULT_DEMO_PORTS: DemoPorts = { temporal: 7233, ui: 8233, redis: 6379, origin: 8080 };

/** The chosen ports, and which services could not have their default. */
export interface ChosenDemoPorts {
  ports: DemoPorts;
  /** Services whose default port was taken (or already given to another service). */
  moved: (keyof DemoPorts)[];
}

/**
 * Each service's default port when nothing holds it, otherwise a free port; never one port for
 * two services. A port can still be taken between this check and the server's start: that
 * server then fails to start, naming its port.
 * @param defaults the ports to try first, default `DEFAULT_DEMO_PORTS`
 */
export async function chooseDemoPorts(defaults: DemoPorts = DEFAULT_DEMO_PORTS): Promise<ChosenDemoPorts> {
  const given = new Set<number>();
  const ports = { ...defaults };
  const moved: (keyof DemoPorts)[] = [];
  for (const service of Object.keys(defaults) as (keyof DemoPorts)[]) {
    let port = defaults[service];
    if (given.has(port) || !(await isPortFree(port))) {
      moved.push(service);
      do port = await findFreePort();
      while (given.has(port));
    }
    given.add(port);
    ports[service] = port;
  }
  return { ports, moved };
}

/** One line per service: where it is, and which default was taken when it is not there. */
export function describeDemoPorts({ ports, moved }: ChosenDemoPorts): string[] {
  const why = (service: keyof DemoPorts) =>
    moved.includes(service) ? ` (${DEFAULT_DEMO_PORTS[service]} is taken)` : '';
  return [
    `Temporal UI   http://127.0.0.1:${ports.ui}${why('ui')}`,
    `Temporal      127.0.0.1:${ports.temporal}${why('temporal')}`,
    `Redis         redis://127.0.0.1:${ports.redis}${why('redis')}`,
    `demo origin   http://127.0.0.1:${ports.origin}${why('origin')}`,
  ];
}
