// The prefix cache's hash → block id table: open addressing with linear probing over two typed arrays,
// sized once for the pool (at most one entry per block, so never over half full), deletion by shifting
// the probe run back, so no tombstones pile up under constant eviction. A Map<number, number> holds
// each 53-bit hash as a heap number; its lookups and churn were ~5 % of a pod's CPU (bench/, issue #8).

const EMPTY = 0;

export class BlockIndex {
  /** hash + 1 (0 marks an empty slot) */
  private readonly keys: Float64Array;
  private readonly ids: Int32Array;
  private readonly mask: number;

  constructor(maxEntries: number) {
    let slots = 16;
    while (slots < 2 * maxEntries) slots *= 2;
    this.keys = new Float64Array(slots);
    this.ids = new Int32Array(slots);
    this.mask = slots - 1;
  }

  /** The block id stored for `hash`, or −1. */
  get(hash: number): number {
    const i = this.slot(hash + 1);
    return this.keys[i] === EMPTY ? -1 : (this.ids[i] as number);
  }

  set(hash: number, id: number): void {
    const i = this.slot(hash + 1);
    this.keys[i] = hash + 1;
    this.ids[i] = id;
  }

  delete(hash: number): void {
    let i = this.slot(hash + 1);
    if (this.keys[i] === EMPTY) return;
    // Move each later entry of the probe run back into the hole unless its home slot lies after the
    // hole (it would no longer be found from there).
    for (let j = (i + 1) & this.mask; this.keys[j] !== EMPTY; j = (j + 1) & this.mask) {
      const home = this.home(this.keys[j] as number);
      if (((j - home) & this.mask) >= ((j - i) & this.mask)) {
        this.keys[i] = this.keys[j] as number;
        this.ids[i] = this.ids[j] as number;
        i = j;
      }
    }
    this.keys[i] = EMPTY;
  }

  /** Keys are hashes already: their low 32 bits pick the home slot. */
  private home(stored: number): number {
    return (stored >>> 0) & this.mask;
  }

  /** Where `stored` is, or the empty slot that ends its probe run. */
  private slot(stored: number): number {
    let i = this.home(stored);
    while (this.keys[i] !== EMPTY && this.keys[i] !== stored) i = (i + 1) & this.mask;
    return i;
  }
}
