// A small seeded PRNG for the simulator: sfc32 (Chris Doty-Humphrey's PractRand "small fast counting"
// generator), seeded through splitmix32 so nearby seeds give unrelated streams.

export interface Prng {
  /** A float in [0, 1). */
  next(): number;
  /** A whole number in [min, max]. */
  int(min: number, max: number): number;
  /** A float in [min, max). */
  between(min: number, max: number): number;
  chance(p: number): boolean;
  pick<T>(items: readonly T[]): T;
  /** An independent generator for another purpose, determined by this one's seed and `stream`. */
  fork(stream: number): Prng;
}

export function createPrng(seed: number, stream = 0): Prng {
  let s = splitmix32((seed >>> 0) ^ Math.imul(stream + 1, 0x9e3779b9));
  const word = () => (s = splitmix32(s));
  let a = word();
  let b = word();
  let c = word();
  let d = 1;
  const next32 = (): number => {
    const t = (((a + b) | 0) + d) | 0;
    d = (d + 1) | 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) | 0;
    c = (c << 21) | (c >>> 11);
    c = (c + t) | 0;
    return t >>> 0;
  };
  for (let i = 0; i < 12; i++) next32();

  const prng: Prng = {
    next: () => next32() / 4294967296,
    int: (min, max) => min + Math.floor(prng.next() * (max - min + 1)),
    between: (min, max) => min + prng.next() * (max - min),
    chance: (p) => prng.next() < p,
    pick<T>(items: readonly T[]): T {
      if (items.length === 0) throw new RangeError('pick from an empty list');
      return items[Math.floor(prng.next() * items.length)]!;
    },
    fork: (child) => createPrng(seed, stream * 1000 + child + 1),
  };
  return prng;
}

/** One step of splitmix32 (a 32-bit variant of Steele et al.'s SplitMix): a well-mixed next state. */
function splitmix32(state: number): number {
  let z = (state + 0x9e3779b9) | 0;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
  return (z ^ (z >>> 16)) >>> 0;
}
