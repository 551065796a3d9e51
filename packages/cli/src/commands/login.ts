import { Command } from 'commander';
import { ApiClient } from '../client.js';
import { configPath, normalizeServer, writeConfig, type FileConfig } from '../config.js';
import { requestTimeoutMs, type GlobalOptions, type Runtime } from '../context.js';
import { ApiError, UsageError } from '../errors.js';

interface LoginOptions {
  namespace?: string;
  verify: boolean;
}

export function loginCommandOf(rt: Runtime): Command {
  return new Command('login')
    .description('store the server and token (and a default namespace) in the config file, mode 0600')
    .option('-n, --namespace <namespace>', 'the namespace commands use without -n')
    .option('--no-verify', 'store without checking that the server accepts the token')
    .addHelpText(
      'after',
      `
Takes the global --server and --token (JANGAR_URL and JANGAR_TOKEN when left out). The file is
$JANGAR_CONFIG, else $XDG_CONFIG_HOME/jangar/config.json, else ~/.config/jangar/config.json. Later
commands read it; JANGAR_URL, JANGAR_TOKEN and JANGAR_NAMESPACE override it, and flags override both.

Example:
  jangar login --server https://jangar.example.com --token "$TOKEN" -n team-a`,
    )
    .action(async (_opts: LoginOptions, cmd: Command) => {
      const { io } = rt;
      const opts = cmd.optsWithGlobals<LoginOptions & GlobalOptions>();
      const rawServer = opts.server ?? io.env.JANGAR_URL;
      const token = opts.token ?? io.env.JANGAR_TOKEN;
      if (!rawServer || !token) throw new UsageError('login needs --server <url> and --token <token>');
      const server = normalizeServer(rawServer);
      const ms = requestTimeoutMs(opts.requestTimeout);
      if (opts.verify) {
        try {
          // Any authenticated read will do; one run at most. Like every command's, it gives up at --request-timeout or Ctrl-C.
          const client = new ApiClient({ server, token, signal: rt.signal, ...(ms ? { timeoutMs: ms } : {}) });
          await client.get('/v1/runs', { limit: 1, ...(opts.namespace ? { namespace: opts.namespace } : {}) });
        } catch (err) {
          if (err instanceof ApiError && err.status === 401)
            throw new ApiError(err.status, { ...err.problem, detail: `${server} does not accept this token` }, err.method, err.path);
          throw err;
        }
      }
      const file = configPath(io.env);
      const config: FileConfig = { server, token, ...(opts.namespace ? { namespace: opts.namespace } : {}) };
      await writeConfig(file, config);
      io.out(`logged in to ${server}${config.namespace ? ` (namespace ${config.namespace})` : ''}; credentials stored in ${file}`);
    });
}
