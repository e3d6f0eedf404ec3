/**
 * The committed snapshots of published schemas: `src/contracts/snapshots/<type>.v<N>.json`.
 * A snapshot is the JSON Schema consumers were given; the compatibility test compares the current
 * schema with it. Written in the layout the repository's formatter (biome) produces, so
 * `npm run lint` accepts a freshly written snapshot unchanged.
 */

export const SNAPSHOT_DIR = new URL('./snapshots/', import.meta.url);

export function snapshotFileName(type: string, version: number): string {
  return `${type}.v${version}.json`;
}

/** Reads `<type>.v<N>.json` back into type and version; null for any other name. */
export function parseSnapshotFileName(name: string): { type: string; version: number } | null {
  const m = /^(.+)\.v([1-9]\d*)\.json$/.exec(name);
  return m ? { type: m[1] as string, version: Number(m[2]) } : null;
}

const LINE_WIDTH = 140;
const INDENT = '  ';

/** JSON with two-space indent; objects always expanded, arrays of scalars on one line when they fit. */
export function formatSnapshot(value: unknown): string {
  return `${format(value, 0, 0, false)}\n`;
}

function format(value: unknown, depth: number, prefixWidth: number, trailingComma: boolean): string {
  const pad = INDENT.repeat(depth);
  const inner = INDENT.repeat(depth + 1);
  if (Array.isArray(value)) {
    if (value.length === 0) return '[]';
    const scalars = value.every((v) => v === null || typeof v !== 'object');
    if (scalars) {
      const flat = `[${value.map((v) => JSON.stringify(v)).join(', ')}]`;
      if (prefixWidth + flat.length + (trailingComma ? 1 : 0) <= LINE_WIDTH) return flat;
    }
    const items = value.map((v, i) => `${inner}${format(v, depth + 1, inner.length, i < value.length - 1)}`);
    return `[\n${items.join(',\n')}\n${pad}]`;
  }
  if (typeof value === 'object' && value !== null) {
    const entries = Object.entries(value).filter(([, v]) => v !== undefined);
    if (entries.length === 0) return '{}';
    const lines = entries.map(([k, v], i) => {
      const key = `${inner}${JSON.stringify(k)}: `;
      return `${key}${format(v, depth + 1, key.length, i < entries.length - 1)}`;
    });
    return `{\n${lines.join(',\n')}\n${pad}}`;
  }
  return JSON.stringify(value);
}
