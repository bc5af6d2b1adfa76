/** `ami-audit generate-fleet`: a generated fleet JSON for the local endpoint. Loads src/emulator only when run. */
import { UserError, UsageError } from '../../model/errors.js';
import type { generateFleet } from '../../emulator/generate.js';
import { readFlags, suggest } from '../../config/options.js';
import type { CommandModule } from './context.js';

/** The keys of a fleet spec, as its help and its errors name them. */
export const GENERATE_SPEC = 'accounts=N,regions=N,instances=N,seed=N,skew=SHARE/SCOPES,style=uniform|realistic,org=N (N OUs of an organisation the caller manages; 0: none)';
const SPEC_KEYS = ['accounts', 'regions', 'instances', 'seed', 'skew', 'single', 'style', 'org'];

/** `accounts=50,regions=5,instances=20000,seed=7,skew=0.5/0.05,style=realistic,org=4` */
export function parseGenerateSpec(spec: string, flag = '--generate'): Parameters<typeof generateFleet>[0] {
  const out: Record<string, string> = {};
  for (const part of spec.split(',')) {
    const [k, v] = part.split('=');
    if (!k || v === undefined) throw new UserError(`${flag}: cannot read "${part}"; expected key=value pairs such as accounts=50,regions=5,instances=20000,seed=1,skew=0.5/0.05`);
    const key = k.trim();
    if (!SPEC_KEYS.includes(key)) {
      const near = suggest(key, SPEC_KEYS);
      throw new UsageError(`${flag}: unknown key "${key}"; the keys are ${GENERATE_SPEC}`, near ? `Did you mean ${near}?` : undefined);
    }
    out[key] = v.trim();
  }
  const num = (k: string, d: number): number => {
    const n = out[k] === undefined ? d : Number(out[k]);
    if (!Number.isFinite(n) || n < 0) throw new UserError(`${flag}: ${k}=${out[k]} is not a number`);
    return n;
  };
  const style = out.style ?? 'uniform';
  if (style !== 'uniform' && style !== 'realistic') throw new UserError(`${flag}: style=${style} is not uniform or realistic`);
  const org = num('org', 0);
  if (!Number.isInteger(org) || org > 1000) throw new UserError(`${flag}: org=${out.org} is not a number of OUs from 0 to 1000`);
  const [si, ss] = (out.skew ?? '0/0').split('/').map(Number);
  return {
    accounts: num('accounts', 10), regions: num('regions', 3), instances: num('instances', 1000), seed: num('seed', 1), skewInstances: si ?? 0, skewScopes: ss ?? 0,
    singleScope: num('single', 0) > 0, style, ...(org ? { organization: org } : {}),
  };
}

export const generateFleetCommand: CommandModule = {
  name: 'generate-fleet',
  command: 'generate-fleet',
  describe: 'Write a generated fleet JSON for the local endpoint',
  run: async (argv, { io }) => {
    const spec = parseGenerateSpec(readFlags('generate-fleet', argv).spec ?? '', '--spec');
    const { generateFleet } = await import('../../emulator/generate.js');
    io.stdout.write(JSON.stringify(generateFleet(spec), null, 2) + '\n');
  },
};
