/** The bench worker's bundle: the real case workflow, plus the bench-only baselines it is compared with. */
export { collectionCase } from '../../src/workflows/collection-case';
export { shapeTwin, trivialWorkflow } from './shape-twin';
