// Loaded into a service by `npm run bench -- --profile <service>` (NODE_OPTIONS=--import): the first
// SIGUSR2 starts V8's sampling CPU profiler, the next writes the profile to
// $JANGAR_PROFILE_DIR/$JANGAR_PROFILE_NAME-<pid>.cpuprofile (Chrome DevTools and speedscope open it)
// and stops. Written synchronously, so the bench can wait for the file before it stops the service.
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { Session } from 'node:inspector';
import path from 'node:path';

const dir = process.env.JANGAR_PROFILE_DIR;
const name = process.env.JANGAR_PROFILE_NAME ?? 'service';
const session = new Session();
session.connect();
let running = false;

process.on('SIGUSR2', () => {
  if (!dir) return;
  if (!running) {
    running = true;
    // 200 µs between samples: fine enough for a request that costs about a millisecond.
    session.post('Profiler.enable', () => session.post('Profiler.setSamplingInterval', { interval: 200 }, () => session.post('Profiler.start')));
    return;
  }
  running = false;
  session.post('Profiler.stop', (err, result) => {
    if (err) return;
    mkdirSync(dir, { recursive: true });
    const file = path.join(dir, `${name}-${process.pid}.cpuprofile`);
    writeFileSync(`${file}.tmp`, JSON.stringify(result.profile));
    renameSync(`${file}.tmp`, file);
  });
});
