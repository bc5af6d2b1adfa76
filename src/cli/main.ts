/**
 * The ami-audit command line: the parser (yargs in strict mode; the commands in src/cli/commands,
 * their flags from the options table, src/config/options.ts), and the one place that turns outcomes
 * and errors into exit codes: 0 clean, 1 findings at or above --fail-on, 2 usage, config or fatal
 * error, 3 report written but coverage partial, 4 report files could not be written, 130 stopped
 * at once by a second interrupt (the process ends without waiting for the work in flight).
 */
import yargs, { type Argv } from 'yargs';
import { EXIT, StopNow, UserError, UsageError } from '../model/errors.js';
import { toolVersion } from '../paths.js';
import { termSafe } from '../model/text.js';
import { addEnvironmentSecrets, redact } from './redact.js';
import { addFlags, camel, commandsWithFlag, COMMANDS, flagsOf, suggest, type CommandName } from '../config/options.js';
import type { CliIO, CommandModule, RunState } from './commands/context.js';
import { scanCommand } from './commands/scan.js';
import { imagesCommand } from './commands/images.js';
import { reportCommand } from './commands/report.js';
import { mergeCommand } from './commands/merge.js';
import { diffCommand } from './commands/diff.js';
import { historyCommand } from './commands/history.js';
import { rulesCommand } from './commands/rules.js';
import { demoCommand } from './commands/demo.js';
import { emulatorCommand } from './commands/emulator.js';
import { generateFleetCommand } from './commands/generate-fleet.js';
import { iamPolicyCommand } from './commands/iam-policy.js';
import { schemaCommand } from './commands/schema.js';

// What other modules and tests import from here.
export type { CliIO, RunState } from './commands/context.js';
export { collectOptionsFrom, configNames, orgRequestFrom, planAccounts, type OrgRequest, type ScanArgs } from './commands/scan.js';
export { parseGenerateSpec } from './commands/generate-fleet.js';
export { parseDeadline, positiveInt, seconds } from '../config/options.js';

/** The commands, in the order of the help. */
const MODULES: readonly CommandModule[] = [scanCommand, reportCommand, mergeCommand, diffCommand, historyCommand, rulesCommand, demoCommand, emulatorCommand, generateFleetCommand, iamPolicyCommand, schemaCommand, imagesCommand];
const moduleOf = (name: string): CommandModule | undefined => MODULES.find((m) => m.name === name);
const COMMAND_LIST = `${COMMANDS.slice(0, -1).join(', ')} or ${COMMANDS.at(-1)}`;

/*
 * yargs' usage messages, made readable by code: a marker, the kind, and its arguments. They never
 * reach the user as they are: usageError() turns them into one line and a hint.
 */
const MARK = '\u0000';
const SEP = '\u0001';
const both = (kind: string, args: number): { one: string; other: string } => {
  const s = `${MARK}${kind}${`${SEP}%s`.repeat(args)}`;
  return { one: s, other: s };
};
const USAGE_STRINGS = {
  'Unknown argument: %s': both('unknown', 1),
  'Not enough arguments following: %s': `${MARK}novalue${SEP}%s`,
  'Missing argument value: %s': both('novalue', 1),
  'Invalid values:': `${MARK}invalid`,
  'Argument: %s, Given: %s, Choices: %s': `${SEP}%s${SEP}%s${SEP}%s`,
  'Missing required argument: %s': both('required', 1),
  'Not enough non-option arguments: got %s, need at least %s': both('positionals', 2),
};

export function buildParser(io: CliIO, state: RunState): Argv {
  let y = yargs()
    .scriptName('ami-audit')
    .usage('$0 <command> [options]\n\nFind EC2 instances running on deprecated, deregistered, disabled, non-public, disallowed or untrusted AMIs across accounts and regions.')
    // y18n takes a plural message as { one, other }; @types/yargs declares strings only
    .updateStrings(USAGE_STRINGS as unknown as Record<string, string>);
  for (const m of MODULES) {
    y = y.command(m.command, m.describe, (c) => addFlags(m.builder ? m.builder(c) : c, m.name, m.helpOrder), (argv) => m.run(argv as Record<string, unknown>, { io, state }));
  }
  return y
    .demandCommand(1, `${MARK}nocommand`)
    .strict()
    .version(toolVersion())
    .help()
    .alias('h', 'help')
    .wrap(Math.min(120, (io.stdout as NodeJS.WriteStream).columns ?? 100))
    .exitProcess(false)
    // A usage error yargs finds (unknown option, missing value) is one; errors of the commands pass through.
    .fail((msg, err) => {
      throw err ?? Object.assign(new Error(msg), { name: 'YError' });
    });
}

/**
 * The first word of the arguments, as yargs reads them: an option it does not know at the top
 * level (--regions us-east-1 before any command) takes the word after it as its value.
 */
function firstWord(args: string[]): string | undefined {
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === '--') return args[i + 1];
    if (!a.startsWith('-') || a === '-') return a;
    if (!a.includes('=') && !a.startsWith('--no-') && !['--help', '-h', '--version'].includes(a)) i += 1;
  }
  return undefined;
}

/** The command of the arguments: the first word, when it is one. */
function commandOf(args: string[]): CommandName | undefined {
  const first = firstWord(args);
  return (COMMANDS as readonly string[]).includes(first ?? '') ? first as CommandName : undefined;
}

/** The flags given that the command (or, without one, the top level) does not have, as typed (`--colour`, without `=value`). */
function unknownFlags(args: string[], cmd: CommandName | undefined): string[] {
  // yargs takes the camelCase form of a flag as well
  const rows = cmd ? flagsOf(cmd) : [];
  const known = new Set(['help', 'h', 'version', ...rows.flatMap((r) => [r.flag, camel(r.flag)])]);
  const onOff = new Set(rows.filter((r) => r.kind.yargs.type === 'boolean' || r.negatable).flatMap((r) => [r.flag, camel(r.flag)]));
  const out: string[] = [];
  for (const a of args) {
    if (a === '--') break;
    if (!/^--?[^-\d]/.test(a)) continue;
    const token = a.split('=')[0]!;
    const name = token.replace(/^--?/, '');
    if (known.has(name) || (name.startsWith('no-') && onOff.has(name.slice(3)))) continue;
    if (!out.includes(token)) out.push(token);
  }
  return out;
}

/** The hint for an unknown flag: the closest flag of the command, or the commands that have it. */
function flagHint(token: string, cmd: CommandName | undefined): string | undefined {
  const name = token.replace(/^--?/, '');
  if (name.length < 3) return undefined;
  const negated = name.startsWith('no-') && name.length > 3;
  const base = negated ? name.slice(3) : name;
  const own = cmd ? flagsOf(cmd).filter((r) => !negated || r.kind.yargs.type === 'boolean').map((r) => r.flag) : [];
  if (negated && cmd && flagsOf(cmd).some((r) => r.flag === base && !r.negatable)) return `--${base} takes a value and cannot be turned off.`;
  const near = cmd ? suggest(base, own) : undefined;
  if (near) return `Did you mean --${negated ? 'no-' : ''}${near}?`;
  const other = suggest(base, [...new Set(COMMANDS.flatMap((c) => flagsOf(c).map((r) => r.flag)))]);
  const where = other ? commandsWithFlag(other).filter((c) => c !== cmd) : [];
  if (!other || where.length === 0) return undefined;
  const list = where.length > 1 ? `${where.slice(0, -1).join(', ')} and ${where.at(-1)}` : where[0];
  const flag = `--${other}`;
  return cmd ? `${flag} is an option of ${list}, not of ${cmd}.` : `${flag} is an option of ${list}.`;
}

/** The arguments a command takes by position (`diff <old> <new>`: old, new). */
const positionalsOf = (cmd: CommandName | undefined): string[] => [...(moduleOf(cmd ?? '')?.command ?? '').matchAll(/<(\w+)(?:\.\.)?>/g)].map((m) => m[1]!);
/** A positional as the usage line writes it: `<old>`, or `<parts..>` for one that takes several. */
const positionalLabel = (cmd: CommandName, name: string): string => (moduleOf(cmd)?.command.includes(`<${name}..>`) ? `<${name}..>` : `<${name}>`);

const NO_COMMAND = Symbol('no command');

/**
 * A yargs usage message as a UsageError: what is wrong, in the words of the flags as typed, and a
 * hint. Flags the command does not have come first (they often cause the other complaints, such
 * as a required flag that was misspelt).
 */
function usageError(message: string, args: string[]): UsageError | typeof NO_COMMAND {
  const cmd = commandOf(args);
  const first = firstWord(args);
  if (!cmd && first !== undefined) {
    const near = suggest(first, COMMANDS);
    return new UsageError(`unknown command ${JSON.stringify(termSafe(first, 60))}`, near ? `Did you mean ${near}?` : undefined);
  }
  const unknown = unknownFlags(args, cmd);
  if (!cmd) {
    if (args.length === 0) return NO_COMMAND;
    return new UsageError(`give a command: ${COMMAND_LIST}`, unknown[0] ? flagHint(unknown[0], undefined) : undefined);
  }
  // a value that starts with "-" is read as an option: then the flag before it has no value
  for (const t of unknown) {
    const before = args[args.indexOf(t) - 1];
    const row = flagsOf(cmd).find((r) => `--${r.flag}` === before && r.kind.yargs.type !== 'boolean');
    if (row) {
      const shown = termSafe(t, 60);
      return new UsageError(`${before} needs a value`, row.secret ? `If its value starts with "-", write ${before}=<value>.` : `If ${shown} is its value, write ${before}=${shown}.`);
    }
  }
  if (unknown.length) return new UsageError(`unknown option${unknown.length > 1 ? 's' : ''} ${unknown.map((t) => termSafe(t, 60)).join(', ')}`, unknown.map((t) => flagHint(t, cmd)).find(Boolean));
  if (!message.startsWith(MARK)) return new UsageError(message.split('\n')[0]!);
  const [kind, ...parts] = message.slice(1).split('\n')[0]!.split(SEP);
  const label = (name: string): string => (positionalsOf(cmd).includes(name) && !flagsOf(cmd).some((r) => r.flag === name) ? `<${name}>` : `--${name}`);
  switch (kind) {
    case 'novalue': {
      const row = flagsOf(cmd).find((r) => r.flag === parts[0]);
      const choices = row?.kind.yargs.choices as string[] | undefined;
      return new UsageError(`--${parts[0]} needs a value${choices ? `: one of ${choices.join(', ')}` : ''}`);
    }
    case 'invalid': {
      // the first value not among the choices: "\n  <SEP>name<SEP>given<SEP>choices"
      const [name = '', given = '', choices = ''] = message.split('\n')[1]?.trim().split(SEP).filter(Boolean) ?? [];
      const allowed = choices.split(', ').map((c) => c.replace(/^"(.*)"$/, '$1'));
      const typed = given.replace(/^"(.*)"$/, '$1');
      const near = suggest(typed, allowed);
      return new UsageError(`${label(name)}: ${JSON.stringify(termSafe(typed, 60))} is not one of ${allowed.join(', ')}`, near ? `Did you mean ${near}?` : undefined);
    }
    case 'required': return new UsageError(`missing ${parts[0]!.split(', ').map(label).join(', ')}`);
    case 'positionals': {
      const names = positionalsOf(cmd);
      return new UsageError(`missing ${names.slice(Number(parts[0])).map((n) => positionalLabel(cmd, n)).join(' ')} (ami-audit ${moduleOf(cmd)!.command})`);
    }
    case 'unknown': {
      const extra = parts[0]!.split(', ');
      return new UsageError(`unexpected argument${extra.length > 1 ? 's' : ''} ${extra.map((x) => JSON.stringify(termSafe(x, 60))).join(', ')}`);
    }
    default: return new UsageError(message.slice(1).split(SEP).join(' '));
  }
}

/** Writes yargs' --help and --version output (it comes back to the parse callback rather than going to the console). */
async function parse(args: string[], io: CliIO, state: RunState): Promise<void> {
  await buildParser(io, state).parseAsync(args, {}, (err, _argv, output) => {
    if (!err && output) io.stdout.write(output.endsWith('\n') ? output : `${output}\n`);
  });
}

/** Runs the CLI; returns the exit code. Never throws. */
export async function run(args: string[], io: CliIO): Promise<number> {
  addEnvironmentSecrets(io.env);
  const state: RunState = { code: EXIT.ok };
  try {
    await parse(args, io, state);
    return state.code;
  } catch (e) {
    let err = e as Error;
    if (err instanceof StopNow) {
      // the work still in flight is abandoned: the process ends now
      io.exit?.(EXIT.stopped);
      return EXIT.stopped;
    }
    if (err?.name === 'YError') {
      const u = usageError(err.message, args);
      if (u === NO_COMMAND) {
        // like git and the AWS CLI: the usage, and a failing status (a script that lost its command is not a clean run)
        await parse(['--help'], io, state);
        return EXIT.error;
      }
      err = u;
    }
    if (err instanceof UsageError) {
      const cmd = commandOf(args);
      const lines = [`ami-audit: ${err.message}`, ...(err.hint ? [err.hint] : []), cmd ? `Run "ami-audit ${cmd} --help" for the options.` : 'Run "ami-audit --help" for the commands.'];
      io.stderr.write(redact(`${lines.join('\n')}\n`));
      return err.exitCode;
    }
    if (err instanceof UserError) {
      // one line per problem (a config lists all of its problems)
      io.stderr.write(redact(err.message.split('\n').map((l) => `ami-audit: ${l}\n`).join('')));
      return err.exitCode;
    }
    const debug = args.includes('--debug');
    io.stderr.write(redact(`ami-audit: unexpected error: ${err?.message ?? String(e)}${debug && err?.stack ? `\n${err.stack}` : ' (run with --debug for details)'}\n`));
    return EXIT.error;
  }
}
