// The metrics endpoint: GET /metrics on its own address (apart from the agents' and maintainers'
// WebSocket port), Prometheus text format. Anything else is 404; only GET and HEAD are served.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { messageOf } from '../../shared/errors.js';
import type { Logger } from '../../shared/log.js';
import type { CoordinatorMetrics } from './metrics.js';

export const METRICS_PATH = '/metrics';

export interface MetricsServer {
  url: string;
  close(): Promise<void>;
}

export async function serveMetrics(metrics: CoordinatorMetrics, options: { host: string; port: number; logger: Logger }): Promise<MetricsServer> {
  const server: Server = createServer((request, response) => {
    const path = new URL(request.url ?? '/', 'http://metrics').pathname;
    if (path !== METRICS_PATH || (request.method !== 'GET' && request.method !== 'HEAD')) {
      response.writeHead(404, { 'content-type': 'text/plain' }).end(`Not found: metrics are at ${METRICS_PATH}\n`);
      return;
    }
    metrics.text().then((text) => {
      response.writeHead(200, { 'content-type': metrics.contentType }).end(request.method === 'HEAD' ? undefined : text);
    }, (error: unknown) => {
      options.logger.error({ err: messageOf(error) }, 'collecting metrics failed');
      response.writeHead(500, { 'content-type': 'text/plain' }).end('Collecting metrics failed: see the coordinator log\n');
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { address, port } = server.address() as AddressInfo;
  const url = `http://${address.includes(':') ? `[${address}]` : address}:${port}${METRICS_PATH}`;
  return {
    url,
    close: () => new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}
