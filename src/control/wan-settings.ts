// Checks for an emulated link's settings: RTT never below the pair's fibre floor, jitter, bandwidth, ports.
import { ErrorCode, MeridianError } from '../core/errors.ts';

/** `name` is the link, as 'from->to'; each message names the field, the bad value and what to use. */
function badValue(name: string, message: string, details: Record<string, unknown>): MeridianError {
  return new MeridianError(ErrorCode.BadRequest, `link ${name}: ${message}`, { details });
}

/** An emulated RTT may never beat light in fibre between the two regions. */
export function checkRtt(name: string, rttMs: number, floorRttMs: number): number {
  if (!Number.isFinite(rttMs) || rttMs < 0) {
    throw badValue(name, `rttMs must be a finite number of ms >= 0, got ${rttMs}`, { rttMs });
  }
  if (rttMs < floorRttMs) {
    const least = Math.ceil(floorRttMs * 100) / 100;
    throw badValue(
      name,
      `rttMs ${rttMs} is below the fibre floor of ${least} ms for this pair (light in fibre cannot go faster); use ${least} or more`,
      { rttMs, floorRttMs },
    );
  }
  return rttMs;
}

export function checkJitter(name: string, jitterMs: number): number {
  if (!Number.isFinite(jitterMs) || jitterMs < 0) {
    throw badValue(name, `jitterMs must be a finite number of ms >= 0, got ${jitterMs}`, { jitterMs });
  }
  return jitterMs;
}

export function checkBandwidth(name: string, bytesPerSec: number | undefined): number | undefined {
  if (bytesPerSec === undefined) return undefined;
  checkPositive(name, 'bandwidthBytesPerSec', bytesPerSec);
  return bytesPerSec;
}

export function checkPositive(name: string, field: string, value: number): void {
  if (!Number.isFinite(value) || value <= 0) {
    throw badValue(name, `${field} must be a finite number > 0, got ${value}`, { [field]: value });
  }
}

export function checkPort(name: string, field: string, port: number, min: number): void {
  if (!Number.isInteger(port) || port < min || port > 65535) {
    throw badValue(name, `${field} must be an integer ${min}..65535, got ${port}`, { [field]: port });
  }
}
