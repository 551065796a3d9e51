import { Argument, Command, type Option } from 'commander';
import { completionKindNames } from '../kinds.js';
import type { Runtime } from '../context.js';

/** One flag as completion needs it. */
export interface FlagSpec {
  short?: string;
  long?: string;
  description: string;
  takesValue: boolean;
  choices?: string[];
  files?: boolean;
}

/** One command as completion needs it. */
export interface CommandSpec {
  name: string;
  description: string;
  flags: FlagSpec[];
  /** Choices of the first argument: kinds for get/describe/delete, shells for completion. */
  firstArg?: string[];
  subcommands: CommandSpec[];
}

export interface CompletionSpec {
  commands: CommandSpec[];
  globals: FlagSpec[];
}

function flagOf(o: Option): FlagSpec {
  return {
    ...(o.short ? { short: o.short } : {}),
    ...(o.long ? { long: o.long } : {}),
    description: o.description,
    takesValue: o.required || o.optional,
    ...(o.argChoices ? { choices: [...o.argChoices] } : {}),
    ...(o.long === '--filename' ? { files: true } : {}),
  };
}

/** What completion offers, read from the commands themselves so it never drifts from them. */
export function completionSpecOf(program: Command): CompletionSpec {
  const kinds = completionKindNames();
  const specOf = (cmd: Command): CommandSpec => {
    const first = cmd.registeredArguments[0];
    const firstArg = first?.name() === 'kind' ? kinds : first?.argChoices ? [...first.argChoices] : undefined;
    return {
      name: cmd.name(),
      description: cmd.description(),
      flags: cmd.options.filter((o) => !o.hidden).map(flagOf),
      ...(firstArg ? { firstArg } : {}),
      subcommands: cmd.commands.map(specOf),
    };
  };
  return { commands: program.commands.filter((c) => c.name() !== 'help').map(specOf), globals: program.options.map(flagOf) };
}

const names = (flags: FlagSpec[]) => flags.flatMap((f) => [f.short, f.long]).filter((n): n is string => n !== undefined);
const words = (list: string[]) => list.join(' ');

/** A bash completion script: `source <(jangar completion bash)`. */
export function bashCompletion(spec: CompletionSpec): string {
  const all = [...spec.globals, ...spec.commands.flatMap((c) => [...c.flags, ...c.subcommands.flatMap((s) => s.flags)])];
  const valueFlags = [...new Set(names(all.filter((f) => f.takesValue)))];
  const valueCase = (flags: FlagSpec[]) =>
    flags
      .filter((f) => f.takesValue)
      .map((f) => {
        const pattern = names([f]).join('|');
        if (f.files) return `        ${pattern}) COMPREPLY=($(compgen -f -- "$cur")); compopt -o filenames 2>/dev/null; return ;;`;
        if (f.choices) return `        ${pattern}) COMPREPLY=($(compgen -W "${words(f.choices)}" -- "$cur")); return ;;`;
        return `        ${pattern}) return ;;`;
      })
      .join('\n');
  const commandCase = spec.commands
    .map((c) => {
      const flags = [...c.flags, ...c.subcommands.flatMap((s) => s.flags), ...spec.globals];
      const positional = c.subcommands.length > 0 ? c.subcommands.map((s) => s.name) : (c.firstArg ?? []);
      return `    ${c.name})
      case "$prev" in
${valueCase(flags) || '        *) ;;'}
      esac
      if [[ "$cur" == -* ]]; then COMPREPLY=($(compgen -W "${words([...new Set(names(flags))])}" -- "$cur")); return; fi
      [[ -z "$sub" ]] && COMPREPLY=($(compgen -W "${words(positional)}" -- "$cur"))
      return ;;`;
    })
    .join('\n');
  return `# bash completion for jangar
#   source <(jangar completion bash)
# or save it as ~/.local/share/bash-completion/completions/jangar
_jangar() {
  local cur prev cmd="" sub="" skip=0 i w
  cur="\${COMP_WORDS[COMP_CWORD]}"
  prev="\${COMP_WORDS[COMP_CWORD-1]}"
  for ((i = 1; i < COMP_CWORD; i++)); do
    w="\${COMP_WORDS[i]}"
    if ((skip)); then skip=0; continue; fi
    case "$w" in
      ${valueFlags.join('|')}) skip=1 ;;
      -*) ;;
      *) if [[ -z "$cmd" ]]; then cmd="$w"; elif [[ -z "$sub" ]]; then sub="$w"; fi ;;
    esac
  done
  if [[ -z "$cmd" ]]; then
    case "$prev" in
${valueCase(spec.globals) || '      *) ;;'}
    esac
    COMPREPLY=($(compgen -W "${words([...spec.commands.map((c) => c.name), ...names(spec.globals)])}" -- "$cur"))
    return
  fi
  case "$cmd" in
${commandCase}
  esac
}
complete -F _jangar jangar
`;
}

/** Text safe inside a single-quoted zsh word and an _arguments description. */
const zq = (s: string) => s.replace(/'/g, '’').replace(/\[/g, '(').replace(/\]/g, ')').replace(/:/g, ' -').replace(/`/g, '');

function zshFlag(f: FlagSpec): string {
  const value = !f.takesValue ? '' : f.files ? ':file:_files' : f.choices ? `:value:(${words(f.choices)})` : ':value:';
  const desc = `[${zq(f.description)}]`;
  if (f.short && f.long) return `'(${f.short} ${f.long})'{${f.short},${f.long}}'${desc}${value}'`;
  return `'${f.short ?? f.long}${desc}${value}'`;
}

/** A zsh completion script: `source <(jangar completion zsh)`, or saved as `_jangar` on `$fpath`. */
export function zshCompletion(spec: CompletionSpec): string {
  const globals = spec.globals.map(zshFlag).join(' ');
  const commandCase = spec.commands
    .map((c) => {
      const flags = [...c.flags, ...c.subcommands.flatMap((s) => s.flags)].map(zshFlag).join(' \\\n            ');
      const first =
        c.subcommands.length > 0
          ? `'1:subcommand:((${c.subcommands.map((s) => `${s.name}\\:"${zq(s.description)}"`).join(' ')}))' '*:argument:'`
          : c.firstArg
            ? `'1:${c.name === 'completion' ? 'shell' : 'kind'}:(${words(c.firstArg)})' '*:name:'`
            : `'*:argument:'`;
      return `    ${c.name})
          _arguments ${globals} \\
            ${flags ? `${flags} \\\n            ` : ''}${first} ;;`;
    })
    .join('\n');
  return `#compdef jangar
# zsh completion for jangar
#   source <(jangar completion zsh)
# or save it as _jangar in a directory on $fpath
_jangar() {
  local curcontext="$curcontext" state line
  local -a commands
  commands=(
${spec.commands.map((c) => `    '${c.name}:${zq(c.description)}'`).join('\n')}
  )
  _arguments -C ${globals} '1: :->command' '*:: :->argument'
  case $state in
    command) _describe -t commands 'jangar command' commands ;;
    argument)
      case $words[1] in
${commandCase}
      esac ;;
  esac
}
if [[ "\${zsh_eval_context[-1]}" == loadautofunc ]]; then _jangar "$@"; else compdef _jangar jangar; fi
`;
}

export function completionCommandOf(rt: Runtime, program: () => Command): Command {
  return new Command('completion')
    .description('print a shell completion script (commands, kinds, flags)')
    .addArgument(new Argument('<shell>', 'bash or zsh').choices(['bash', 'zsh']))
    .addHelpText(
      'after',
      `
  bash:  source <(jangar completion bash)        (or save it in ~/.local/share/bash-completion/completions/jangar)
  zsh:   source <(jangar completion zsh)         (or save it as _jangar in a directory on $fpath)`,
    )
    .action((shell: string) => {
      const spec = completionSpecOf(program());
      rt.io.out((shell === 'zsh' ? zshCompletion(spec) : bashCompletion(spec)).trimEnd());
    });
}
