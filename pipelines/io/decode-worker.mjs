// The replay's decode thread (see decode-thread.ts). Plain JavaScript so a worker can start it without
// a loader; it registers tsx's, then loads the TypeScript that does the work.
import { register } from 'tsx/esm/api';

register();
await import('./decode-worker.ts');
