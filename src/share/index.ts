// The share layer: the experiment catalog, the link codec and trace files. Pure TypeScript (zod and
// fflate only): no DOM, no GPU, no store, so it runs in the page, a Worker, Node scripts and tests.
export type * from './experiment';
export { MAX_LANES, MAX_TOKENS_LIMIT } from './experiment';
export type * from './trace';
export * from './parameters';
export * from './methods';
export * from './issues';
export * from './schema';
export * from './trace-schema';
export * from './migrations';
export * from './codec';
export * from './trace-file';
