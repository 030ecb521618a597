/** Milliseconds from an arbitrary origin; injectable so tests can drive time. */
export interface Clock {
  now(): number
}

export const systemClock: Clock = {now: () => performance.now()}
