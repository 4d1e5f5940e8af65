// A maintainer connection that notes when the final UploadChunk of a submission is handed to the
// socket and when it is answered: where dispatch and notification delays are measured from.
import type { darkroom } from '../../proto/darkroom.js';
import type { MaintainerConnection } from '../../maintainer/connection.js';

export interface LastChunkMarks {
  sent(): void;
  answered(): void;
}

export function timedConnection(connection: MaintainerConnection, mark: LastChunkMarks): MaintainerConnection {
  const channel = new Proxy(connection.channel, {
    get(target, property) {
      if (property === 'request') {
        return (envelope: darkroom.v1.Envelope.$Properties, timeoutMs?: number) => {
          if (!envelope.uploadChunk?.last) return target.request(envelope, timeoutMs);
          mark.sent();
          return target.request(envelope, timeoutMs).finally(() => mark.answered());
        };
      }
      const value: unknown = Reflect.get(target, property, target);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
  return { ...connection, channel };
}
