/**
 * The baseline of the trivial-GET comparison: a bare Fastify hello-world, the same Fastify as the
 * gateway, with no hooks, logger or plugins. Started by the bench as its own process (bundled,
 * as the services are) on `PORT`; it prints "listening" once it accepts connections.
 */
import Fastify from 'fastify';

const app = Fastify();
app.get('/', async () => ({ hello: 'world' }));
await app.listen({ host: '127.0.0.1', port: Number(process.env.PORT) });
console.log('listening');
process.on('SIGTERM', () => void app.close().then(() => process.exit(0)));
