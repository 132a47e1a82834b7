export {
  type CheckDocOptions,
  checkDocExamples,
  type DocExample,
  type DocProblem,
  type DocReport,
} from './doc-check.ts';
export {
  type CodeFence,
  type DocComment,
  type DocTag,
  parseDocComment,
  parseFences,
  stripCommentMargin,
} from './doc-comment.ts';
export { type DocExampleTestOptions, docExampleTests } from './doc-example-tests.ts';
export {
  type ExampleRun,
  type ExpectedOutput,
  expectedOutput,
  missingOutput,
  normalizeOutput,
  type RunExampleOptions,
  runDocExample,
} from './doc-run.ts';
export { typecheckDocExamples } from './doc-typecheck.ts';
export { type LayeringOptions, layeringTests } from './layering.ts';
export {
  type ApiSurface,
  exportSurfaceTests,
  leakedInternals,
  publicSurface,
} from './surface.ts';
