import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { findBreakingChanges } from './compatibility.js';
import { type JsonSchema, jsonSchemaOf } from './event-contract.js';
import { EVENT_CONTRACTS } from './registry.js';
import { SNAPSHOT_DIR, formatSnapshot, parseSnapshotFileName, snapshotFileName } from './snapshot-file.js';

/**
 * The contract-compatibility gate. Every published (type, version) has a committed snapshot of the
 * JSON Schema consumers were given; the current schema must not break it.
 *
 * To publish a compatible change (an optional field, an enum value, a description) or a new type
 * or major version, run `UPDATE_CONTRACT_SNAPSHOTS=1 npx vitest run src/contracts` and commit the
 * snapshots. That never overwrites a snapshot with a breaking change: publish a new major version.
 */
const UPDATE = process.env.UPDATE_CONTRACT_SNAPSHOTS === '1';
const HOW_TO_UPDATE = 'UPDATE_CONTRACT_SNAPSHOTS=1 npx vitest run src/contracts';

const readSnapshot = (name: string): JsonSchema | null => {
  const url = new URL(name, SNAPSHOT_DIR);
  return existsSync(url) ? (JSON.parse(readFileSync(url, 'utf8')) as JsonSchema) : null;
};

describe('published schemas (src/contracts/snapshots)', () => {
  if (UPDATE) mkdirSync(SNAPSHOT_DIR, { recursive: true });

  for (const contract of EVENT_CONTRACTS) {
    const name = snapshotFileName(contract.type, contract.version);
    it(`${contract.type} v${contract.version} does not break its published schema`, () => {
      const current = jsonSchemaOf(contract);
      const published = readSnapshot(name);
      if (published === null) {
        if (UPDATE) return writeFileSync(new URL(name, SNAPSHOT_DIR), formatSnapshot(current));
        expect.fail(`${name} is not published yet; run ${HOW_TO_UPDATE} and commit it`);
      }
      const breaking = findBreakingChanges(published, current);
      expect(
        breaking.map((b) => `${b.path || '(root)'}: ${b.change}`),
        `${contract.type} v${contract.version} would break consumers of ${name}. Undo the change, or publish it as v${contract.version + 1} (a new contract beside this one; see docs/data-contract.md)`,
      ).toEqual([]);
      if (JSON.stringify(published) !== JSON.stringify(current)) {
        if (UPDATE) return writeFileSync(new URL(name, SNAPSHOT_DIR), formatSnapshot(current));
        expect.fail(`${name}: the schema changed compatibly; run ${HOW_TO_UPDATE} to publish the change, and commit it`);
      }
    });
  }

  it('keeps a contract for every published snapshot (a published version is never withdrawn)', () => {
    const snapshots = existsSync(SNAPSHOT_DIR) ? readdirSync(SNAPSHOT_DIR).filter((f) => f.endsWith('.json')) : [];
    const contracts = new Set(EVENT_CONTRACTS.map((c) => snapshotFileName(c.type, c.version)));
    const orphans = snapshots.filter((f) => parseSnapshotFileName(f) === null || !contracts.has(f));
    expect(orphans, 'these snapshots have no contract in src/contracts/registry.ts; events of them may still be in the log').toEqual([]);
  });

  it('stores snapshots in the layout the formatter produces', () => {
    for (const contract of EVENT_CONTRACTS) {
      const name = snapshotFileName(contract.type, contract.version);
      const url = new URL(name, SNAPSHOT_DIR);
      if (!existsSync(url)) continue;
      const text = readFileSync(url, 'utf8');
      expect(text, name).toBe(formatSnapshot(JSON.parse(text)));
    }
  });
});
