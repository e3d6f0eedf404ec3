export { type DemoPlan, type GenerateOptions, generateDemo } from './generate.js';
export {
  type DemoOptions,
  type DemoProgress,
  type DemoSummary,
  type PathTotals,
  type StagingSink,
  runDemo,
  stagingCsv,
} from './run-demo.js';
export { stagingSinkOf } from './staging-sink.js';
export { demoSecretsOf, resolveApiKey } from './credentials.js';
