// Number conversions every protocol needs when turning wire values into JSON sample values.

/** The shortest decimal that reads back as the same float32 (23.4, not 23.399999618530273). */
export function shortestFloat32(f: number): number {
  if (!Number.isFinite(f) || f === 0) return f;
  for (let digits = 1; digits < 9; digits++) {
    const candidate = Number(f.toPrecision(digits));
    if (Math.fround(candidate) === f) return candidate;
  }
  return Number(f.toPrecision(9));
}

/** A 64-bit integer as a sample value: a number when exact, else its decimal string (JSON has no int64). */
export function int64Value(v: bigint): number | string {
  return v >= -9007199254740991n && v <= 9007199254740991n ? Number(v) : v.toString();
}
