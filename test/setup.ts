// Runs in every test file: whatever a test made through the helpers goes away after it, also
// when it failed.
import { afterEach } from 'vitest';
import { cleanup } from './helpers.js';

afterEach(cleanup);
