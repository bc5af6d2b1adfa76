/**
 * Parsing of the operation's own options as the AWS CLI spells them: `--filters` in shorthand
 * (`Name=instance-type,Values=t2.micro,t2.nano`) or JSON, and `--instance-ids`.
 */
import { UserError } from '../model/errors.js';

export interface Filter { Name: string; Values: string[] }

export const FILTER_NAMES = ['availability-zone', 'instance-id', 'image-allowed', 'instance-state-name', 'instance-type', 'launch-time', 'owner-alias', 'owner-id', 'tag-key', 'zone-id'];

function checkName(name: string, source: string): void {
  if (!FILTER_NAMES.includes(name) && !/^tag:.+/.test(name)) {
    throw new UserError(`--filters: unknown filter name "${name}" in ${JSON.stringify(source)}; expected one of ${FILTER_NAMES.join(', ')} or tag:<key>`);
  }
}

/** One shorthand item: `Name=x,Values=a,b` (the AWS CLI's form; values may be quoted). */
function parseShorthand(item: string): Filter {
  const m = /^Name=([^,]+),Values=(.*)$/s.exec(item.trim());
  if (!m) throw new UserError(`--filters: cannot read ${JSON.stringify(item)}; expected Name=<filter>,Values=<v1>,<v2> or a JSON list`);
  const name = m[1]!.trim();
  const values: string[] = [];
  let rest = m[2]!;
  while (rest.length) {
    if (rest.startsWith('"')) {
      const end = rest.indexOf('"', 1);
      if (end < 0) throw new UserError(`--filters: unterminated quote in ${JSON.stringify(item)}`);
      values.push(rest.slice(1, end));
      rest = rest.slice(end + 1).replace(/^,/, '');
    } else {
      const comma = rest.indexOf(',');
      values.push(comma < 0 ? rest : rest.slice(0, comma));
      rest = comma < 0 ? '' : rest.slice(comma + 1);
    }
  }
  if (values.length === 0 || values.some((v) => v === '')) throw new UserError(`--filters: empty value in ${JSON.stringify(item)}`);
  checkName(name, item);
  return { Name: name, Values: values };
}

/** Parses every `--filters` argument: shorthand items or one JSON list of {Name, Values}. */
export function parseFilters(args: string[]): Filter[] {
  const out: Filter[] = [];
  for (const arg of args) {
    const t = arg.trim();
    if (t.startsWith('[') || t.startsWith('{')) {
      let doc: unknown;
      try {
        doc = JSON.parse(t);
      } catch (e) {
        throw new UserError(`--filters: invalid JSON (${(e as Error).message})`);
      }
      const list = Array.isArray(doc) ? doc : [doc];
      list.forEach((f, i) => {
        const o = f as { Name?: unknown; Values?: unknown };
        if (typeof o?.Name !== 'string' || !Array.isArray(o.Values) || o.Values.length === 0 || !o.Values.every((v) => typeof v === 'string')) {
          throw new UserError(`--filters: [${i}]: expected {"Name": "<filter>", "Values": ["<value>", ...]}`);
        }
        checkName(o.Name, t);
        out.push({ Name: o.Name, Values: o.Values as string[] });
      });
    } else {
      // Several shorthand items may arrive in one argument, separated by spaces.
      for (const item of t.split(/\s+(?=Name=)/)) if (item) out.push(parseShorthand(item));
    }
  }
  return out;
}

export { ACCOUNT_ID_RE, INSTANCE_ID_RE, REGION_RE } from '../model/ids.js';
export const ROLE_NAME_RE = /^[\w+=,.@-]{1,64}$/;

/** Splits list options given AWS-CLI style (space-separated words) or comma-separated. */
export function splitList(values: readonly (string | number)[] | undefined): string[] {
  return (values ?? []).flatMap((v) => String(v).split(/[\s,]+/)).filter(Boolean);
}

export function checkList(option: string, values: string[], re: RegExp, what: string): string[] {
  for (const v of values) if (!re.test(v)) throw new UserError(`${option}: "${v}" is not ${what}`);
  return [...new Set(values)];
}
