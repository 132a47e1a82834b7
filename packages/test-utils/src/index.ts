export { ensureBuilt, ensureDist } from './build.ts';
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
export {
  type HostileServer,
  type HostileServerOptions,
  type HostileStats,
  startHostileServer,
  startStaleKeepAliveServer,
  TEXT,
} from './hostile-server.ts';
export { type LayeringOptions, layeringTests } from './layering.ts';
export { npmInstallEnv } from './npm-env.ts';
export { hasSocat, type PtyPair, ptyPair } from './pty.ts';
export {
  type ConformanceKit,
  type ConformanceOptions,
  type ConformanceReader,
  type ConformanceTask,
  type ConformanceWriter,
  checkOneWayStream,
  checkTwoWayStream,
  type OneWayPair,
  seededRandom,
  type TwoWayPair,
} from './stream-conformance.ts';
export {
  type ApiSurface,
  exportSurfaceTests,
  leakedInternals,
  publicSurface,
} from './surface.ts';
export { selfSignedCert, type TestCertificate } from './tls-cert.ts';
