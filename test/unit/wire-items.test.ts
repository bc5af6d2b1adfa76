/**
 * DescribeInstanceImageMetadata pages are read by ami-audit (wire.ts parseItemSet), not by the
 * SDK: the records must be the ones the SDK's own reading gives through toRecord, key order
 * included, for what the endpoint sends and for every XML form the SDK's parser accepts; what the
 * SDK fails on must fail too.
 */
import { describe, expect, test } from '@jest/globals';
import { DescribeInstanceImageMetadataCommand, EC2Client } from '@aws-sdk/client-ec2';
import { addAnswerCheck, itemSetOf, parseItemSet } from '../../src/collect/wire.js';
import { toRecord } from '../../src/collect/scope.js';
import { Interner } from '../../src/model/intern.js';
import { describeInstanceImageMetadata } from '../../src/emulator/ec2.js';
import { generateFleet } from '../../src/emulator/generate.js';
import { demoFleet } from '../../src/emulator/demo.js';
import type { FleetAccount } from '../../src/emulator/fleet.js';
import type { InstanceRecord } from '../../src/model/types.js';

const ACCOUNT = '100000000001';
const REGION = 'us-east-1';
const NS = 'http://ec2.amazonaws.com/doc/2016-11-15/';

/** An EC2 client whose every call is answered with `body` (status 200), without a network. */
function cannedClient(body: Buffer, checked: boolean): EC2Client {
  const requestHandler = {
    handle: async () => ({ response: { statusCode: 200, headers: { 'content-type': 'text/xml;charset=UTF-8' }, body: Buffer.from(body) } }),
    updateHttpClientConfig: () => {},
    httpHandlerConfigs: () => ({}),
  };
  const c = new EC2Client({ region: REGION, endpoint: 'http://127.0.0.1:1', credentials: { accessKeyId: 'AKIDTEST', secretAccessKey: 'x' }, requestHandler: requestHandler as never, maxAttempts: 1 });
  if (checked) addAnswerCheck(c);
  return c;
}

/** The records of a page, the SDK's way (its output through toRecord) and ours; or the error each gave. */
async function bothWays(items: string | Buffer, extra = ''): Promise<{ sdk: InstanceRecord[] | Error; ours: InstanceRecord[] | Error; next: [string | undefined, string | undefined] }> {
  const body = Buffer.concat([
    Buffer.from(`<?xml version="1.0" encoding="UTF-8"?>\n<DescribeInstanceImageMetadataResponse xmlns="${NS}"><requestId>r-1</requestId><instanceImageMetadataSet>`),
    typeof items === 'string' ? Buffer.from(items, 'utf8') : items,
    Buffer.from(`</instanceImageMetadataSet>${extra}</DescribeInstanceImageMetadataResponse>`),
  ]);
  const next: [string | undefined, string | undefined] = [undefined, undefined];
  let sdk: InstanceRecord[] | Error;
  let ours: InstanceRecord[] | Error;
  try {
    const out = await cannedClient(body, false).send(new DescribeInstanceImageMetadataCommand({}));
    next[0] = out.NextToken;
    const interner = new Interner();
    sdk = (out.InstanceImageMetadata ?? []).map((it) => toRecord(ACCOUNT, REGION, it, interner));
  } catch (e) {
    sdk = e as Error;
  }
  try {
    const out = await cannedClient(body, true).send(new DescribeInstanceImageMetadataCommand({}));
    next[1] = out.NextToken;
    expect(out.InstanceImageMetadata).toBeUndefined();
    ours = parseItemSet(itemSetOf(out)!, { accountId: ACCOUNT, region: REGION, interner: new Interner() });
  } catch (e) {
    ours = e as Error;
  }
  return { sdk, ours, next };
}

/** The item set the local endpoint sends for an account's region, with element order as given. */
function endpointItems(acc: FleetAccount, region: string, flip: boolean): string {
  const body = describeInstanceImageMetadata({ account: acc, accountId: acc.accountId, region, params: new URLSearchParams(), disruptedZones: new Set(), flip });
  const m = /<instanceImageMetadataSet>([\s\S]*)<\/instanceImageMetadataSet>/.exec(body);
  return m ? m[1]! : '';
}

async function same(items: string | Buffer, extra = ''): Promise<InstanceRecord[]> {
  const { sdk, ours, next } = await bothWays(items, extra);
  if (sdk instanceof Error) throw new Error(`the SDK failed: ${sdk.message}`);
  if (ours instanceof Error) throw new Error(`ours failed: ${ours.message}`);
  expect(JSON.stringify(ours)).toBe(JSON.stringify(sdk));
  expect(next[1]).toBe(next[0]);
  return ours;
}

const ITEM = (inner: string): string => `<item>${inner}</item>`;
const BASE = '<instanceId>i-0123456789abcdef0</instanceId><instanceType>t3.micro</instanceType><launchTime>2026-01-30T14:57:08.000Z</launchTime>';

describe('a DescribeInstanceImageMetadata page read by ami-audit equals the SDK\'s reading', () => {
  test.each([
    ['realistic', false], ['realistic', true], ['uniform', false], ['uniform', true],
  ] as const)('the endpoint\'s %s fleet (reversed element order: %s)', async (style, flip) => {
    const f = generateFleet({ accounts: 1, regions: [REGION], instances: 300, seed: 3, style });
    const recs = await same(endpointItems(f.accounts[0]!, REGION, flip), '<nextToken>abc==</nextToken>');
    expect(recs).toHaveLength(300);
  });

  test('the demo fleet, every scope', async () => {
    const f = demoFleet('2026-11-26T00:00:00Z');
    let n = 0;
    for (const acc of f.accounts) for (const region of Object.keys(acc.instances ?? {})) n += (await same(endpointItems(acc, region, n % 2 === 1))).length;
    expect(n).toBeGreaterThan(10);
  });

  test.each([
    ['entities and character references', ITEM(`${BASE}<tagSet><item><key>a&amp;b</key><value>&lt;x&gt; &quot;q&quot; &apos;s&apos; &#65;&#x42; &nbsp;end</value></item></tagSet>`)],
    ['CDATA, comments and processing instructions inside values and between elements', ITEM(`<!-- c --><instanceId><![CDATA[i-0123456789abcdef0]]></instanceId><?pi x?><instanceType>t3.<!-- mid -->micro</instanceType><launchTime>2026-01-30T14:57:08.000Z</launchTime><tagSet><item><key>k</key><value>a<![CDATA[<b>&amp;]]>c</value></item></tagSet>`)],
    ['pretty-printed with CRLF line ends and indentation', `\r\n  <item>\r\n    <instanceId>i-0123456789abcdef0</instanceId>\r\n    <instanceState>\r\n      <code>16</code>\r\n      <name>running</name>\r\n    </instanceState>\r\n    <tagSet>\r\n      <item><key>Name</key><value>two\r\nlines</value></item>\r\n    </tagSet>\r\n  </item>\r\n`],
    ['whitespace-only values: kept without a newline, empty with one', ITEM(`${BASE}<tagSet><item><key>sp</key><value>   </value></item><item><key>nl</key><value>\n  </value></item></tagSet>`)],
    ['attributes, unknown elements (simple, nested, self-closing)', ITEM(`<instanceId a="1" b='>'>i-0123456789abcdef0</instanceId><futureField>x</futureField><futureSet><item><deep><deeper/></deep></item></futureSet><other/><instanceType>t3.micro</instanceType>`)],
    ['self-closing and empty structures, lists and values', ITEM('<instanceId/><instanceType></instanceType><instanceState/><tagSet/><imageMetadata/><operator/>')],
    ['empty structures with content of another kind', ITEM('<instanceId>i-1</instanceId><instanceState></instanceState><tagSet></tagSet><imageMetadata><imageWatermarkSet/></imageMetadata><operator></operator>')],
    ['an empty item, an item without tags key, a tag without value, items of another name in lists', `<item/>${ITEM('<instanceId>i-2</instanceId><tagSet><item><value>v</value></item><item><key>k</key></item><item/><member><key>x</key></member></tagSet>')}<member><instanceId>i-3</instanceId></member>`],
    ['dates with offsets, lower case, fractions of every length', ITEM('<launchTime>2026-01-30t14:57:08.5z</launchTime><imageMetadata><imageWatermarkSet><item><watermarkKey>k</watermarkKey><sourceImageCreationTime>2026-01-30T23:57:08.123456+02:30</sourceImageCreationTime><watermarkCreationTime>2026-02-29T00:00:60Z</watermarkCreationTime></item><item><sourceImageId>ami-1</sourceImageId><sourceImageRegion>eu-west-1</sourceImageRegion></item></imageWatermarkSet></imageMetadata>')],
    ['booleans and numbers the way the SDK reads them', ITEM('<instanceState><code></code><name>x</name></instanceState><imageMetadata><imageAllowed>TRUE</imageAllowed><isPublic>yes</isPublic></imageMetadata><operator><managed></managed><hiddenByDefault>True</hiddenByDefault><principal>eks.amazonaws.com</principal></operator>')],
    ['a code that is not a number', ITEM('<instanceState><code>abc</code></instanceState>')],
    ['non-ASCII text', ITEM(`${BASE}<tagSet><item><key>Name</key><value>café 🚀 — 東京</value></item></tagSet><imageMetadata><name>ünïcödé</name></imageMetadata>`)],
    ['the same AMI metadata twice (shared) and in the other order', ITEM(`${BASE}<imageMetadata><imageId>ami-1</imageId><imageAllowed>false</imageAllowed></imageMetadata>`) + ITEM(`<instanceId>i-9</instanceId><imageMetadata><imageId>ami-1</imageId><imageAllowed>false</imageAllowed></imageMetadata>`) + ITEM(`<instanceId>i-8</instanceId><imageMetadata><imageAllowed>false</imageAllowed><imageId>ami-1</imageId></imageMetadata>`)],
    ['tags out of order, duplicate keys, a hundred of them', ITEM(`${BASE}<tagSet>${Array.from({ length: 100 }, (_, k) => `<item><key>k${(k * 37) % 50}</key><value>v${k}</value></item>`).join('')}</tagSet>`)],
    ['an empty set', ''],
  ])('%s', async (_, items) => {
    await same(items, '<nextToken>tok</nextToken>');
  });

  test('a page of many kilobytes, read a window at a time: ASCII, non-ASCII, not UTF-8 at all', async () => {
    const f = generateFleet({ accounts: 1, regions: [REGION], instances: 400, seed: 9, style: 'realistic' });
    const items = endpointItems(f.accounts[0]!, REGION, false);
    expect(items.length).toBeGreaterThan(200_000);
    expect(await same(items)).toHaveLength(400);
    // multi-byte characters all through the page, some right where a window might end
    const accented = items.replace(/-prod-|-dev-|-staging-/g, (m) => `${m}é東🚀`);
    expect(await same(accented)).toHaveLength(400);
    // bytes that are not UTF-8 (read as replacement characters, as the SDK reads them)
    const bytes = Buffer.from(items, 'utf8');
    let bad = 0;
    for (let k = bytes.indexOf('<value>'); k >= 0; k = bytes.indexOf('<value>', k + 5000)) {
      bytes[k + 7] = 0xff;
      bad += 1;
    }
    expect(bad).toBeGreaterThan(20);
    expect(JSON.stringify(await same(bytes))).toContain('\ufffd');
  });

  test('an item that is not well-formed in the middle of a long page fails the page', async () => {
    const f = generateFleet({ accounts: 1, regions: [REGION], instances: 200, seed: 9, style: 'realistic' });
    const items = endpointItems(f.accounts[0]!, REGION, false);
    const at = items.indexOf('</instanceType>', items.length >> 1);
    const broken = `${items.slice(0, at)}</instanceTypo>${items.slice(at + '</instanceType>'.length)}`;
    const { sdk, ours } = await bothWays(broken);
    expect(sdk).toBeInstanceOf(Error);
    expect((ours as Error).name).toBe('MalformedResponse');
  });

  test('tag values that repeat share one object; unique ones are copies of their own', async () => {
    const items = Array.from({ length: 600 }, (_, k) => ITEM(`<instanceId>i-${k}</instanceId><tagSet><item><key>Name</key><value>host-${k}</value></item><item><key>team</key><value>t${k % 3}</value></item></tagSet><imageMetadata><imageId>ami-${k % 2}</imageId></imageMetadata>`)).join('');
    const recs = await same(items);
    const team = (r: InstanceRecord) => r.Tags!.find((t) => t.Key === 'team')!;
    expect(team(recs[0]!)).toBe(team(recs[3]!));
    expect(recs[0]!.ImageMetadata).toBe(recs[2]!.ImageMetadata);
    expect(recs[0]!.ImageMetadata).not.toBe(recs[1]!.ImageMetadata);
    expect(recs.map((r) => r.Tags![0]!.Value)).toEqual(Array.from({ length: 600 }, (_, k) => `host-${k}`));
  });

  test.each([
    ['a launch time that is not a date-time', ITEM('<instanceId>i-1</instanceId><launchTime>yesterday</launchTime>')],
    ['an empty launch time', ITEM('<launchTime/>')],
    ['a month out of range', ITEM('<launchTime>2026-13-01T00:00:00Z</launchTime>')],
    ['mismatched tags', ITEM('<instanceId>i-1</instanceType>')],
    ['an item never closed', '<item><instanceId>i-1</instanceId>'],
    ['a value given twice', ITEM('<instanceId>i-1</instanceId><instanceId>i-2</instanceId>')],
  ])('fails where the SDK fails: %s', async (_, items) => {
    const { sdk, ours } = await bothWays(items);
    expect(sdk).toBeInstanceOf(Error);
    expect(ours).toBeInstanceOf(Error);
    expect((ours as Error).name).toBe('MalformedResponse');
  });

  test('where the SDK\'s parser reads nonsense, ami-audit does not (answers AWS never sends)', async () => {
    // text beside child elements: the SDK replaces the whole item with the text (an instance with
    // no fields); here the text is ignored and the fields kept
    const stray = await bothWays(ITEM('<instanceId>i-1</instanceId>stray text<instanceType>t3.micro</instanceType>'));
    expect(stray.sdk).toEqual([{ accountId: ACCOUNT, region: REGION }]);
    expect(stray.ours).toEqual([{ accountId: ACCOUNT, region: REGION, InstanceId: 'i-1', InstanceType: 't3.micro' }]);
    // an element inside a value: the SDK keeps the text around it ("i-"); here that is malformed
    const inside = await bothWays(ITEM('<instanceId>i-<b>1</b></instanceId>'));
    expect(inside.sdk).toEqual([{ accountId: ACCOUNT, region: REGION, InstanceId: 'i-' }]);
    expect((inside.ours as Error).name).toBe('MalformedResponse');
  });
});
