/** Every operation, one namespace per concept: what the library entry offers (faces import the modules they need). */
export * as locks from './locks.js';
export * as tasks from './tasks.js';
export * as messages from './messages.js';
export * as agents from './agents.js';
export * as session from './session.js';
export * as integrations from './integrations.js';
export * as hooks from './hooks.js';
export * as commits from './commits.js';
export * as verify from './verify.js';
export * as context from './context.js';
export * as taskExport from './task-export.js';
export * as upkeep from './upkeep.js';
