// Who is connected right now: a party's name to its open channels, so revocation, cancels, offers
// and notifications reach every connection of that party at once.
import type { Channel } from '../../transport/channel.js';

export interface Connected {
  name: string;
  role: 'agent' | 'maintainer';
  channel: Channel;
  connectedAt: number;
}

export class Registry {
  readonly #byName = new Map<string, Set<Connected>>();

  add(entry: Connected): () => void {
    let set = this.#byName.get(entry.name);
    if (!set) {
      set = new Set();
      this.#byName.set(entry.name, set);
    }
    set.add(entry);
    return () => {
      set!.delete(entry);
      if (set!.size === 0) this.#byName.delete(entry.name);
    };
  }

  connections(name: string): Connected[] {
    return [...(this.#byName.get(name) ?? [])];
  }

  isConnected(name: string): boolean {
    return this.#byName.has(name);
  }

  all(role?: Connected['role']): Connected[] {
    const out: Connected[] = [];
    for (const set of this.#byName.values()) for (const entry of set) if (!role || entry.role === role) out.push(entry);
    return out;
  }

  get size(): number {
    return this.#byName.size;
  }
}
