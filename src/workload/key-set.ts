// A set of block keys (non-negative integers below 2^53) in one Float64Array, open addressing with
// linear probing, grown by doubling at half full. A Set<number> holds keys above 2^31 as heap numbers,
// one allocation each: at a million blocks that was most of ramp-load's garbage and an eighth of its CPU
// per request (bench/, issue #8).

const EMPTY = 0;
const INITIAL_SLOTS = 1024;

export class KeySet {
  private slots = new Float64Array(INITIAL_SLOTS);
  private mask = INITIAL_SLOTS - 1;
  private count = 0;

  get size(): number {
    return this.count;
  }

  has(key: number): boolean {
    // Stored as key + 1, so that 0 can mark an empty slot.
    const stored = key + 1;
    for (let i = slotOf(stored, this.mask); ; i = (i + 1) & this.mask) {
      const at = this.slots[i] as number;
      if (at === stored) return true;
      if (at === EMPTY) return false;
    }
  }

  /** Adds `key`; false when it was there already. */
  add(key: number): boolean {
    const stored = key + 1;
    let i = slotOf(stored, this.mask);
    for (; ; i = (i + 1) & this.mask) {
      const at = this.slots[i] as number;
      if (at === stored) return false;
      if (at === EMPTY) break;
    }
    this.slots[i] = stored;
    if (++this.count * 2 > this.slots.length) this.grow();
    return true;
  }

  private grow(): void {
    const old = this.slots;
    this.slots = new Float64Array(old.length * 2);
    this.mask = this.slots.length - 1;
    for (const stored of old) {
      if (stored === EMPTY) continue;
      let i = slotOf(stored, this.mask);
      while (this.slots[i] !== EMPTY) i = (i + 1) & this.mask;
      this.slots[i] = stored;
    }
  }
}

/** Keys are hashes already: their low 32 bits pick the slot. */
function slotOf(stored: number, mask: number): number {
  return (stored >>> 0) & mask;
}
