/**
 * The dependency rule as an explicit graph (src/README.md): for each top-level part of src, the
 * parts it may import. It follows the data flow — sources → recorder → log → pipeline → warehouse
 * → analytics → api — with core and contracts under everything and the operational store under
 * whatever reads or writes the ledger. Concrete adapters are chosen only in the composition root
 * (app.ts, cli).
 */
const MAY_IMPORT = {
  core: [],
  contracts: ['core'],
  store: ['core'],
  recorder: ['core', 'contracts', 'store'],
  sources: ['core', 'contracts', 'store', 'recorder'],
  log: ['core', 'contracts', 'store'],
  warehouse: ['core', 'contracts'],
  pipeline: ['core', 'contracts', 'store', 'log', 'warehouse'],
  analytics: ['core', 'contracts', 'warehouse'],
  jobs: ['core', 'contracts', 'store', 'log', 'warehouse', 'analytics'],
  api: ['core', 'contracts', 'store', 'recorder', 'sources', 'log', 'pipeline', 'warehouse', 'analytics'],
  cli: ['core', 'contracts', 'store', 'recorder', 'sources', 'log', 'pipeline', 'warehouse', 'analytics', 'jobs', 'api', 'app.ts'],
  'app.ts': ['core', 'contracts', 'store', 'recorder', 'sources', 'log', 'pipeline', 'warehouse', 'analytics', 'jobs', 'api'],
};
/**
 * The warehouse's engines (`warehouse/duckdb/`, `warehouse/clickhouse/`) and the opener that picks
 * one are private to it and to the composition root: the layers above see the port, the dialect
 * interface, typed queries, table definitions and the named queries — never an engine.
 */
const WAREHOUSE_ENGINES = '^src/warehouse/(duckdb/|clickhouse/|open-warehouse\\.ts$)';
const esc = (part) => part.replace('.', '\\.');
const pathOf = (part) => (part.endsWith('.ts') ? `^src/${esc(part)}$` : `^src/${part}/`);

const graph = Object.entries(MAY_IMPORT).map(([part, allowed]) => ({
  name: `${part}-imports-only-its-graph`,
  comment: `src/${part} may import only ${allowed.length ? allowed.join(', ') : 'node and npm modules'}`,
  severity: 'error',
  from: { path: pathOf(part) },
  to: { path: '^src/', pathNot: [part, ...allowed].map(pathOf) },
}));

module.exports = {
  forbidden: [
    ...graph,
    {
      name: 'warehouse-through-its-port',
      comment:
        'pipeline, analytics, jobs and api use the warehouse through its port, dialect and typed queries; no engine adapter (src/warehouse/duckdb, src/warehouse/clickhouse) nor the opener',
      severity: 'error',
      from: { path: '^src/(pipeline|analytics|jobs|api)/', pathNot: '\\.test\\.ts$' },
      to: { path: WAREHOUSE_ENGINES },
    },
    {
      name: 'demo-sends-through-the-api',
      comment:
        'src/cli/demo generates data and sends it over HTTP like any outside sender: it may import core, contracts and sources (signing, the staging CSV loader) only',
      severity: 'error',
      from: { path: '^src/cli/demo/' },
      to: { path: '^src/', pathNot: '^src/(core|contracts|sources|cli/demo)/' },
    },
    {
      name: 'adapters-only-in-composition-root',
      comment: 'Concrete adapters (*-adapter.ts) are wired in src/app.ts and src/cli only (a warehouse engine by src/warehouse/open-warehouse.ts, which they call); depend on the port instead',
      severity: 'error',
      from: { path: '^src/', pathNot: '^src/(app\\.ts|cli/|warehouse/open-warehouse\\.ts)|-adapter\\.ts$|\\.test\\.ts$' },
      to: { path: '-adapter\\.ts$' },
    },
    {
      name: 'nothing-imports-the-composition-root',
      severity: 'error',
      from: { path: '^src/', pathNot: '^src/cli/' },
      to: { path: '^src/(app\\.ts|cli/)' },
    },
    {
      name: 'every-module-in-the-graph',
      comment: 'a new top-level folder of src gets its row in MAY_IMPORT first',
      severity: 'error',
      from: { path: '^src/', pathNot: `^src/(${Object.keys(MAY_IMPORT).map(esc).join('|')})(/|$)` },
      to: {},
    },
    { name: 'no-circular', severity: 'error', from: {}, to: { circular: true } },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { exportsFields: ['exports'], conditionNames: ['import', 'require', 'node', 'default'] },
  },
};
