// The package's main export: every role's API at once. A process that needs one role imports
// its entry point instead (`temporal-cache-warmer/cache`, `/client`, `/worker`) and loads less.
export * from './cache';
export * from './client';
export * from './worker';
