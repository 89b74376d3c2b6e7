// YCSB-like records (CoreWorkload defaults: field0..field9 of 100 characters each, keys 'user<n>').

const FIELD_COUNT = 10;
const FIELD_LENGTH = 100;
const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

export type YcsbRecord = Record<`field${number}`, string>;

/** One record of about 1 KB as JSON; `random` returns floats in [0, 1) like Math.random. */
export function ycsbRecord(random: () => number): YcsbRecord {
  const record: YcsbRecord = {};
  for (let f = 0; f < FIELD_COUNT; f++) {
    let value = '';
    for (let i = 0; i < FIELD_LENGTH; i++) value += ALPHABET[Math.floor(random() * ALPHABET.length)];
    record[`field${f}`] = value;
  }
  return record;
}

/** `count` distinct record bodies, serialized once so the load generator spends no time building them. */
export function ycsbBodies(count: number, random: () => number): readonly string[] {
  return Array.from({ length: count }, () => JSON.stringify(ycsbRecord(random)));
}

export function ycsbKey(index: number): string {
  return `user${index}`;
}
