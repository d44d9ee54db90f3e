/** The baselines alone (no case code in the bundle): what a cached twin costs by itself, for the memory benchmark. */
export { shapeTwin, trivialWorkflow } from './shape-twin';
