import { readFileSync } from 'node:fs';
import ajv2020 from 'ajv/dist/2020.js';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { validateEvent } from './cloudevent.js';
import { type EventContract, type JsonSchema, dataschemaOf, jsonSchemaOf, parseDataschema } from './event-contract.js';
import { EVENT_CONTRACTS, EVENT_TYPES, findContract, listSchemas, versionsOf } from './registry.js';

const contracts = EVENT_CONTRACTS as readonly EventContract[];
// ajv is CommonJS: under NodeNext its class is the default export's `default`.
const Ajv2020 = ajv2020.default;

// The catalogue in docs/DESIGN.md ("Event catalogue (first version)"), plus the ledger's
// payment.status_changed (issue 10, docs/payment-lifecycle.md).
const DESIGN_CATALOGUE = [
  'customer.segment_changed',
  'payment.recorded',
  'payment.status_changed',
  'payment.succeeded',
  'payment.failed',
  'payment.captured',
  'payment.refunded',
  'payment.dispute_opened',
  'payment.dispute_updated',
  'settlement.batch_created',
  'settlement.completed',
  'order.placed',
  'order.completed',
  'order.cancelled',
  'checkout.started',
  'checkout.abandoned',
  'product.viewed',
  'product.added_to_cart',
  'search.query',
  'search.result_clicked',
  'user.registered',
  'user.logged_in',
  'experiment.exposure_recorded',
  'experiment.status_changed',
  'escrow.released',
  'tax.line_recorded',
];

/** The property schema at a dotted path, or undefined; unwraps `anyOf [T, null]`. */
function propertyAt(schema: JsonSchema, path: string): JsonSchema | undefined {
  let node: JsonSchema | undefined = schema;
  for (const key of path.split('.')) {
    const objectBranch: JsonSchema | undefined = Array.isArray(node?.anyOf)
      ? (node.anyOf as JsonSchema[]).find((b) => b.type === 'object')
      : node;
    node = (objectBranch?.properties as Record<string, JsonSchema> | undefined)?.[key];
  }
  return node;
}
const typesOf = (node: JsonSchema): string[] =>
  Array.isArray(node.anyOf) ? (node.anyOf as JsonSchema[]).map((b) => String(b.type)) : [String(node.type)];

describe('the event catalogue', () => {
  it('has a contract for every event type in the design catalogue, and nothing else', () => {
    expect([...EVENT_TYPES].sort()).toEqual([...DESIGN_CATALOGUE].sort());
  });

  it('publishes each (type, version) once, with versions numbered 1, 2, 3… without gaps', () => {
    const keys = contracts.map((c) => `${c.type}@${c.version}`);
    expect(new Set(keys).size).toBe(keys.length);
    for (const type of EVENT_TYPES) expect(versionsOf(type)).toEqual(versionsOf(type).map((_, i) => i + 1));
  });

  it('finds the latest version when none is asked for, and undefined for an unknown type or version', () => {
    expect(findContract('payment.recorded')?.version).toBe(1);
    expect(findContract('payment.recorded', 1)?.type).toBe('payment.recorded');
    expect(findContract('payment.recorded', 2)).toBeUndefined();
    expect(findContract('payment.exploded')).toBeUndefined();
  });

  it('lists every published schema with its JSON Schema, dataschema URI and field lists', () => {
    const listed = listSchemas();
    expect(listed.map((s) => s.type)).toEqual(contracts.map((c) => c.type));
    const recorded = listed.find((s) => s.type === 'payment.recorded');
    expect(recorded).toMatchObject({
      version: 1,
      latest: true,
      dataschema: 'payscope:schemas/payment.recorded/v1',
      piiFields: ['payment.loan_account_number', 'payment.cif', 'payment.customer_id'],
      freeFormFields: ['payment.metadata'],
    });
    expect(recorded?.jsonSchema.$id).toBe('payscope:schemas/payment.recorded/v1');
  });

  it('reads a dataschema URI back into its type and version', () => {
    expect(parseDataschema(dataschemaOf('settlement.batch_created', 3))).toEqual({ type: 'settlement.batch_created', version: 3 });
    for (const bad of [
      'payscope:schemas/payment.recorded/1',
      'https://example.com/schemas/x.json',
      'payscope:schemas/payment.recorded/v0',
    ]) {
      expect(parseDataschema(bad), bad).toBeNull();
    }
  });
});

describe.each(contracts.map((c) => [`${c.type} v${c.version}`, c] as const))('%s', (_name, contract) => {
  const schema = jsonSchemaOf(contract);

  it('accepts its example, as data of a CloudEvent', () => {
    const parsed = contract.data.safeParse(contract.example);
    expect(parsed.error?.issues ?? []).toEqual([]);
    const event = {
      specversion: '1.0',
      id: `evt-${contract.type}`,
      source: '/test',
      type: contract.type,
      time: '2026-11-21T04:00:00Z',
      datacontenttype: 'application/json',
      dataschema: dataschemaOf(contract.type, contract.version),
      data: contract.example,
    };
    expect(validateEvent(event)).toMatchObject({ ok: true });
  });

  it('publishes a JSON Schema that a standard validator compiles and that accepts the example', () => {
    const ajv = new Ajv2020({ strict: false, validateFormats: false });
    const validate = ajv.compile(schema);
    expect(validate(contract.example), JSON.stringify(validate.errors)).toBe(true);
    expect(validate({ ...(contract.example as object), not_in_contract: 1 })).toBe(false);
  });

  it('describes money as integer minor units: no float anywhere in the schema', () => {
    expect(JSON.stringify(schema)).not.toContain('"type":"number"');
  });

  it('describes the same JSON for producers and consumers (no transforms or defaults)', () => {
    const input = z.toJSONSchema(contract.data, { target: 'draft-2020-12', io: 'input' });
    const output = z.toJSONSchema(contract.data, { target: 'draft-2020-12', io: 'output' });
    expect(output).toEqual(input);
  });

  it('names only existing string fields, outside arrays, as PII', () => {
    for (const path of contract.piiFields) {
      const node = propertyAt(schema, path);
      expect(node, `${path} is not a field of ${contract.type}`).toBeDefined();
      expect(
        typesOf(node as JsonSchema).filter((t) => t !== 'null'),
        path,
      ).toEqual(['string']);
    }
  });

  it('names only existing fields as free-form', () => {
    for (const path of contract.freeFormFields) expect(propertyAt(schema, path), path).toBeDefined();
  });

  it('names only existing fields as key fields', () => {
    for (const path of contract.keyFields) expect(propertyAt(schema, path), path).toBeDefined();
  });

  it('rejects unknown fields, so no unlisted personal field can slip past pseudonymisation', () => {
    expect(schema.additionalProperties).toBe(false);
  });
});

describe('personal data across the catalogue', () => {
  const leaf = (path: string) => path.split('.').at(-1) as string;
  const piiNames = new Set(contracts.flatMap((c) => c.piiFields.map(leaf)));

  it('treats a field name as personal in every event or in none, so pseudonymised ids still join', () => {
    for (const contract of contracts) {
      const schema = jsonSchemaOf(contract);
      const walk = (node: JsonSchema, path: string[]) => {
        const objectBranch = Array.isArray(node.anyOf) ? (node.anyOf as JsonSchema[]).find((b) => b.type === 'object') : node;
        const props = (objectBranch?.properties ?? {}) as Record<string, JsonSchema>;
        for (const [k, child] of Object.entries(props)) {
          const p = [...path, k].join('.');
          if (piiNames.has(k)) expect(contract.piiFields, `${contract.type}: ${p} is PII elsewhere`).toContain(p);
          walk(child, [...path, k]);
        }
      };
      walk(schema, []);
    }
  });

  it('lists the personal fields the design names (cif, loan account, customer and user ids, email, phone)', () => {
    for (const name of ['cif', 'loan_account_number', 'customer_id', 'user_id', 'email', 'phone']) expect(piiNames).toContain(name);
  });
});

describe('docs/data-contract.md', () => {
  it('lists every contract with its version and PII fields in the catalogue table', () => {
    const doc = readFileSync(new URL('../../docs/data-contract.md', import.meta.url), 'utf8');
    for (const c of contracts) {
      const row = doc.split('\n').find((l) => l.startsWith(`| \`${c.type}\` | ${c.version} |`));
      expect(row, `no catalogue row for ${c.type} v${c.version}`).toBeDefined();
      for (const f of c.piiFields) expect(row, `${c.type}: PII field ${f}`).toContain(`\`${f}\``);
    }
  });
});
