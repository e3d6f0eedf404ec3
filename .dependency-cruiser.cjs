/**
 * The dependency rule (docs/architecture.md): a module depends only on modules upstream of it in
 * the data flow, and on core. Concrete adapters are chosen only in the composition root.
 *   core ← contracts ← store ← recorder ← sources ← log ← warehouse ← pipeline ← analytics ← jobs ← api ← app.ts / cli
 */
const layers = ['core', 'contracts', 'store', 'recorder', 'sources', 'log', 'warehouse', 'pipeline', 'analytics', 'jobs', 'api'];
const forbidden = layers.map((layer, i) => ({
  name: `${layer}-depends-only-upstream`,
  comment: `src/${layer} may import only from ${layers.slice(0, i + 1).join(', ')}`,
  severity: 'error',
  from: { path: `^src/${layer}/` },
  to: { path: `^src/(?!(${layers.slice(0, i + 1).join('|')})/)[^/]+/` },
}));

module.exports = {
  forbidden: [
    ...forbidden,
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
      comment: 'Concrete adapters (*-adapter.ts) are wired in src/app.ts and src/cli only; depend on the port instead',
      severity: 'error',
      from: { path: '^src/', pathNot: '^src/(app\\.ts|cli/)|-adapter\\.ts$|\\.test\\.ts$' },
      to: { path: '-adapter\\.ts$' },
    },
    {
      name: 'nothing-imports-the-composition-root',
      severity: 'error',
      from: { path: '^src/', pathNot: '^src/cli/' },
      to: { path: '^src/(app\\.ts|cli/)' },
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
