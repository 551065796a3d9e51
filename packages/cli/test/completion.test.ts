import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { bashCompletion, completionSpecOf, zshCompletion } from '../src/commands/completion.js';
import { buildProgram } from '../src/main.js';
import { processIo } from '../src/io.js';

const program = buildProgram({ io: processIo(), signal: new AbortController().signal });
const spec = completionSpecOf(program);

describe('shell completion', () => {
  it('is read from the commands themselves', () => {
    expect(spec.commands.map((c) => c.name)).toEqual(
      expect.arrayContaining(['get', 'describe', 'apply', 'delete', 'runs', 'approve', 'deny', 'audit', 'login', 'completion']),
    );
    const get = spec.commands.find((c) => c.name === 'get')!;
    expect(get.firstArg).toEqual(expect.arrayContaining(['agents', 'ar', 'runs']));
    expect(get.flags.find((f) => f.long === '--output')?.choices).toEqual(['table', 'wide', 'yaml', 'json', 'name']);
    expect(spec.commands.find((c) => c.name === 'runs')!.subcommands.map((s) => s.name)).toEqual(['watch']);
    expect(spec.globals.map((g) => g.long)).toEqual(expect.arrayContaining(['--server', '--token']));
  });

  it('bash: a valid script that completes commands, kinds and flag values', () => {
    const script = bashCompletion(spec);
    expect(spawnSync('bash', ['-n'], { input: script }).status).toBe(0);
    const complete = (line: string) => {
      const words = line.split(' ');
      const run = `${script}\nCOMP_WORDS=(${words.map((w) => `'${w}'`).join(' ')}); COMP_CWORD=${words.length - 1}; _jangar; printf '%s\\n' "\${COMPREPLY[@]}"`;
      return spawnSync('bash', ['-c', run], { encoding: 'utf8' }).stdout.trim().split('\n');
    };
    expect(complete('jangar ge')).toEqual(['get']);
    expect(complete('jangar get ag')).toEqual(expect.arrayContaining(['agents', 'agent', 'agent-runs', 'agentruns']));
    expect(complete('jangar -n team-a get ar')).toEqual(expect.arrayContaining(['ar']));
    expect(complete('jangar get agents -o ya')).toEqual(['yaml']);
    expect(complete('jangar get agents --wat')).toEqual(['--watch']);
    expect(complete('jangar runs w')).toEqual(['watch']);
    expect(complete('jangar completion z')).toEqual(['zsh']);
  });

  it('zsh: names every command and kind', () => {
    const script = zshCompletion(spec);
    expect(script.startsWith('#compdef jangar')).toBe(true);
    for (const word of ["'get:", "'apply:", 'agent-runs', 'guardrails', '(table wide yaml json name)']) expect(script).toContain(word);
  });
});
