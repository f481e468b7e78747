// A TLS-terminating gRPC (HTTP/2) proxy in front of the plain dev server, standing in for a
// Temporal frontend that requires TLS and an API key (or a client certificate) and refuses some
// calls the way Temporal Cloud does: it serves a test certificate, forwards every other call to
// the dev server, and records each call's path and `authorization` header.
import { connect, createSecureServer, type ClientHttp2Session, type IncomingHttpHeaders } from 'node:http2';
import { readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';

export interface GrpcTlsProxy {
  readonly address: string;
  /** Every call seen: gRPC method path and the authorization header (undefined when absent). */
  readonly calls: { path: string; authorization: string | undefined }[];
  /** Calls are answered UNAUTHENTICATED unless their authorization is this (when set). */
  requireAuthorization?: string;
  /** Calls whose method path matches are answered with this gRPC status instead of forwarded. */
  refuse: { path: RegExp; status: number; message: string }[];
  close(): Promise<void>;
}

/** Starts the proxy on a free loopback port in front of `target` (host:port, plain HTTP/2). */
export async function startGrpcTlsProxy(options: {
  target: string;
  certFile: string;
  keyFile: string;
  requireAuthorization?: string;
  /** PEM of the CA client certificates must be signed by: mutual TLS (connections without one are refused). */
  clientCaFile?: string;
}): Promise<GrpcTlsProxy> {
  let upstream: ClientHttp2Session | undefined;
  const upstreamSession = () => {
    if (!upstream || upstream.closed || upstream.destroyed) {
      upstream = connect(`http://${options.target}`);
      upstream.on('error', () => undefined); // each stream reports its own failure
    }
    return upstream;
  };
  const calls: GrpcTlsProxy['calls'] = [];
  const server = createSecureServer({
    cert: readFileSync(options.certFile),
    key: readFileSync(options.keyFile),
    ...(options.clientCaFile
      ? { ca: readFileSync(options.clientCaFile), requestCert: true, rejectUnauthorized: true }
      : {}),
  });
  const proxy: GrpcTlsProxy = {
    address: '',
    calls,
    refuse: [],
    ...(options.requireAuthorization ? { requireAuthorization: options.requireAuthorization } : {}),
    close: () =>
      new Promise<void>((resolve) => {
        upstream?.destroy();
        server.close(() => resolve());
      }),
  };
  server.on('stream', (stream, headers) => {
    const authorization = headers.authorization as string | undefined;
    calls.push({ path: String(headers[':path']), authorization });
    stream.on('error', () => undefined);
    if (proxy.requireAuthorization && authorization !== proxy.requireAuthorization) {
      // A trailers-only answer, as a real frontend gives.
      stream.respond(
        { ':status': 200, 'content-type': 'application/grpc', 'grpc-status': '16', 'grpc-message': 'missing API key' },
        { endStream: true },
      );
      return;
    }
    const refusal = proxy.refuse.find((rule) => rule.path.test(String(headers[':path'])));
    if (refusal) {
      stream.respond(
        {
          ':status': 200,
          'content-type': 'application/grpc',
          'grpc-status': String(refusal.status),
          'grpc-message': encodeURIComponent(refusal.message),
        },
        { endStream: true },
      );
      return;
    }
    const forwarded: Record<string, string | string[]> = {};
    for (const [name, value] of Object.entries(headers)) {
      if (value === undefined || (name.startsWith(':') && name !== ':method' && name !== ':path')) continue;
      forwarded[name] = value;
    }
    const request = upstreamSession().request(forwarded);
    request.on('error', () => stream.close());
    let trailers: IncomingHttpHeaders = {};
    request.on('response', (responseHeaders) => {
      const answer = withoutPseudo(responseHeaders);
      if (responseHeaders['grpc-status'] !== undefined) {
        // Trailers-only: status in the headers, nothing else follows.
        stream.respond({ ':status': responseHeaders[':status'] ?? 200, ...answer }, { endStream: true });
        request.close();
        return;
      }
      stream.respond({ ':status': responseHeaders[':status'] ?? 200, ...answer }, { waitForTrailers: true });
      request.pipe(stream);
    });
    request.on('trailers', (received) => (trailers = received));
    stream.on('wantTrailers', () => stream.sendTrailers(withoutPseudo(trailers)));
    stream.pipe(request);
    stream.on('close', () => request.close());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return Object.assign(proxy, { address: `127.0.0.1:${(server.address() as AddressInfo).port}` });
}

function withoutPseudo(headers: IncomingHttpHeaders): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value !== undefined && !name.startsWith(':')) out[name] = value;
  }
  return out;
}
