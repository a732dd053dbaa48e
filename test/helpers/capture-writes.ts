/**
 * A child process for test/io/capture-log.test.ts: writes a capture of `ARRIVALS` wakes to `PATH`, its
 * header holding `SYMBOLS` symbols (a larger header), and prints `ERR <message>` if the writer throws.
 * Run under a file size limit (`ulimit -f`), its writes stop part way, as on a full disk.
 *   node --import tsx test/helpers/capture-writes.ts PATH ARRIVALS SYMBOLS
 */
import { CaptureWriter } from '../../pipelines/io/capture-log.ts';

const [path, arrivals, symbols] = process.argv.slice(2);
try {
  const universe = Array.from({ length: Number(symbols) }, (_, i) => ({ symbol: `S${String(i).padStart(5, '0')}`, sector: 'X' }));
  const w = new CaptureWriter(path!, {
    start: 0,
    universe,
    sessions: [],
    nodes: [{ node: 'quotes', kind: 'source', ports: { out: 'Quote' } }],
  });
  for (let i = 1; i <= Number(arrivals); i++) w.wake(i);
  w.close();
  console.log('done');
} catch (err) {
  console.log(`ERR ${(err as Error).message}`);
}
