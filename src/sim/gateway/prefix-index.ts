// The approximate prefix scorer's memory (GIE prefix/indexer.go): per server, an LRU of the block hashes
// the EPP ASSUMES it holds. PreRequest adds every block of the prompt to the chosen pod's LRU; it knows
// nothing of the engine's real evictions or restarts (research §4.2). A pod that leaves the Ready set is
// forgotten, so its replacement (new name) starts empty, like a new ServerID.

/** DefaultLRUCapacityPerServer: 500K tokens of an 80 GB H100 / 16 per block. */
export const LRU_CAPACITY_PER_SERVER = 31250;

/** A Map keeps insertion order: delete + set moves a key to the young end; the first key is the oldest. */
class HashLru {
  private readonly map = new Map<number, true>();
  private readonly capacity: number;
  constructor(capacity: number) {
    this.capacity = capacity;
  }
  has(h: number): boolean {
    return this.map.has(h);
  }
  add(h: number): void {
    if (this.map.has(h)) this.map.delete(h);
    this.map.set(h, true);
    if (this.map.size > this.capacity) this.map.delete(this.map.keys().next().value as number);
  }
  get size(): number {
    return this.map.size;
  }
}

export class PrefixIndexer {
  private readonly lrus = new Map<string, HashLru>();
  private readonly capacity: number;

  constructor(capacity = LRU_CAPACITY_PER_SERVER) {
    this.capacity = capacity;
  }

  /** Leading blocks of `hashes` the server is believed to hold, stopping at the first miss. */
  matchLength(server: string, hashes: readonly number[]): number {
    const lru = this.lrus.get(server);
    if (!lru) return 0;
    let n = 0;
    while (n < hashes.length && lru.has(hashes[n] as number)) n++;
    return n;
  }

  /** PreRequest: the chosen server now (supposedly) caches all of these blocks. */
  add(server: string, hashes: readonly number[]): void {
    if (hashes.length === 0) return;
    let lru = this.lrus.get(server);
    if (!lru) {
      lru = new HashLru(this.capacity);
      this.lrus.set(server, lru);
    }
    for (const h of hashes) lru.add(h);
  }

  /** Drops every server not in `present` (left the Ready set). */
  retain(present: ReadonlySet<string>): void {
    for (const server of this.lrus.keys()) if (!present.has(server)) this.lrus.delete(server);
  }

  size(server: string): number {
    return this.lrus.get(server)?.size ?? 0;
  }
}
