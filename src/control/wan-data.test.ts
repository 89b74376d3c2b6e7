// Tests for loading data/: the real RTT figures for known pairs, the fibre floor, and shape checks.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadLatencyMatrix, parseRegionLocationsCsv, parseRttJson } from './wan-data.ts';

test('the real matrix has 32 regions and the measured P50 for known pairs, above the fibre floor', async () => {
  const matrix = await loadLatencyMatrix();
  assert.equal(matrix.regions().length, 32);
  // data: us-east-1 -> ap-northeast-1 149.3758, back 149.152; us-east-1 -> eu-west-1 69.558, back 69.644.
  assert.equal(matrix.rttMs('us-east-1', 'ap-northeast-1'), 149.264);
  assert.equal(matrix.rttMs('ap-northeast-1', 'us-east-1'), 149.264);
  assert.equal(matrix.rttMs('us-east-1', 'eu-west-1'), 69.601);
  const tokyoFloor = matrix.floorRttMs('us-east-1', 'ap-northeast-1');
  const dublinFloor = matrix.floorRttMs('us-east-1', 'eu-west-1');
  assert.ok(Math.abs(tokyoFloor - 108.74) < 0.01, `us-east-1/ap-northeast-1 floor ${tokyoFloor}`);
  assert.ok(Math.abs(dublinFloor - 54.61) < 0.01, `us-east-1/eu-west-1 floor ${dublinFloor}`);
  assert.ok(149.264 > tokyoFloor && 69.601 > dublinFloor);
});

test('every measured pair in the real data is at or above its fibre floor', async () => {
  const matrix = await loadLatencyMatrix();
  const regions = matrix.regions();
  for (const a of regions) {
    for (const b of regions) {
      const rtt = matrix.rttMs(a, b);
      assert.ok(rtt !== undefined, `no RTT for ${a}/${b}`);
      const floor = matrix.floorRttMs(a, b);
      assert.ok(a === b || floor > 0, `no location for ${a} or ${b}`);
      assert.ok(rtt >= floor, `${a}/${b}: ${rtt} ms is below the floor ${floor} ms`);
    }
  }
});

test('parseRttJson rejects a missing data object and a bad value, naming it', () => {
  assert.throws(() => parseRttJson('{"rows":{}}'), /"data" object/);
  assert.throws(() => parseRttJson('{'), /not valid JSON/);
  assert.throws(() => parseRttJson('{"data":{"a":{"b":"fast"}}}'), /data\["a"\]\["b"\].*"fast"/);
  assert.throws(() => parseRttJson('{"data":{"a":{"b":-1}}}'), /got -1/);
});

test('parseRegionLocationsCsv checks the header and each row', () => {
  const header = 'region,city,country,lat,lon';
  const parsed = parseRegionLocationsCsv(`${header}\r\nx-1,Here,XX,10.5,-20\n`);
  assert.deepEqual([...parsed], [['x-1', { lat: 10.5, lon: -20 }]]);
  assert.throws(() => parseRegionLocationsCsv('name,lat,lon\n'), /header must be.*"name,lat,lon"/);
  assert.throws(() => parseRegionLocationsCsv(`${header}\nx-1,Here,XX,95,0`), /line 2: lat.*"95"/);
  assert.throws(() => parseRegionLocationsCsv(`${header}\nx-1,Here,XX,1,east`), /lon.*"east"/);
  assert.throws(() => parseRegionLocationsCsv(`${header}\nx-1,Here,XX,1`), /expected 5 fields/);
  assert.throws(
    () => parseRegionLocationsCsv(`${header}\nx-1,A,XX,1,1\nx-1,B,XX,2,2`),
    /"x-1" is listed twice/,
  );
});
