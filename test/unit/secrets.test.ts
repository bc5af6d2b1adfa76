/** Credentials kept out of messages: the registry, header-shaped leaks, and describeError. */
import { describe, expect, test } from '@jest/globals';
import { addEnvironmentSecrets, addSecret, redact, registerCredentials } from '../../src/collect/secrets.js';
import * as cliRedact from '../../src/cli/redact.js';
import { describeError } from '../../src/collect/errors.js';

describe('redact', () => {
  test('masks every registered credential, and leaves placeholders alone', () => {
    registerCredentials({ accessKeyId: 'KEYIDKEYIDKEYID00001', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYzEXAMPLEKEY', sessionToken: 'IQoJb3JpZ2luX2VjE+/long==' });
    registerCredentials({ accessKeyId: 'test', secretAccessKey: 'test' });
    const out = redact('key KEYIDKEYIDKEYID00001 secret wJalrXUtnFEMI/K7MDENG/bPxRfiCYzEXAMPLEKEY token IQoJb3JpZ2luX2VjE+/long== in a test');
    expect(out).toBe('key [REDACTED] secret [REDACTED] token [REDACTED] in a test');
  });

  test('masks credential-shaped text whatever the registry holds', () => {
    const canonical = [
      'authorization:AWS4-HMAC-SHA256 Credential=AKIDUNREGISTERED0001/20261126/us-east-1/ec2/aws4_request, SignedHeaders=host;x-amz-date, Signature=0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef',
      'x-amz-security-token:FwoGZXIvYXdzEunregistered/+token==',
      "GET /?Action=DescribeRegions&X-Amz-Security-Token=FwoGZXIvYXdzE%2Fother&X-Amz-Credential=AKIDQUERY%2F20261126%2Fus-east-1&X-Amz-Signature=abcdefabcdefabcdef0123",
      'keys AKIAIOSFODNN7EXAMPLE and ASIAY34FZKBOKMUTVV7A',
    ].join('\n');
    const out = redact(canonical);
    for (const leak of ['AKIDUNREGISTERED0001', '0123456789abcdef01234567', 'FwoGZXIvYXdzEunregistered', 'FwoGZXIvYXdzE%2Fother', 'AKIDQUERY', 'abcdefabcdefabcdef0123', 'IOSFODNN7EXAMPLE', 'Y34FZKBOKMUTVV7A']) {
      expect(out).not.toContain(leak);
    }
    expect(out).toContain('Credential=[REDACTED]/20261126/us-east-1/ec2/aws4_request');
    expect(out).toContain('x-amz-security-token:[REDACTED]');
    expect(out).toContain('AKIA****');
    expect(out).toContain('SignedHeaders=host;x-amz-date');
  });

  test('a password in a URL, and a proxy password from the environment', () => {
    expect(redact('via http://user:hunter22@proxy.example:3128/')).toBe('via http://[REDACTED]@proxy.example:3128/');
    addEnvironmentSecrets({ HTTPS_PROXY: 'http://svc:pr0xy%21pass@proxy.example:3128', AWS_SECRET_ACCESS_KEY: 'env-secret-value-0001' });
    expect(redact('auth pr0xy!pass failed; env-secret-value-0001')).toBe('auth [REDACTED] failed; [REDACTED]');
  });

  test('src/cli/redact re-exports the same registry', () => {
    cliRedact.addSecret('external-id-0042');
    expect(redact('ExternalId external-id-0042')).toBe('ExternalId [REDACTED]');
    expect(cliRedact.redact('external-id-0042')).toBe('[REDACTED]');
  });

  test('many secrets: redaction stays fast', () => {
    for (let i = 0; i < 1000; i++) addSecret(`ASIAMANY${String(i).padStart(12, '0')}-token-${i}`);
    const text = 'x'.repeat(2000) + ' ASIAMANY000000000500-token-500';
    const t = performance.now();
    for (let i = 0; i < 200; i++) redact(text);
    expect(performance.now() - t).toBeLessThan(1000);
    expect(redact(text)).toContain('[REDACTED]');
  });
});

describe('describeError', () => {
  test('a message that quotes credentials is stored redacted', () => {
    addSecret('session-token-quoted-by-aws-0001');
    const e = Object.assign(new Error("The Canonical String for this request should have been\n'x-amz-security-token:session-token-quoted-by-aws-0001\nauthorization:AWS4-HMAC-SHA256 Credential=ASIAQUOTEDQUOTED0001/20261126'"), { name: 'SignatureDoesNotMatch' });
    const d = describeError(e);
    expect(d.code).toBe('SignatureDoesNotMatch');
    expect(d.message).not.toContain('session-token-quoted-by-aws-0001');
    expect(d.message).not.toContain('ASIAQUOTEDQUOTED0001');
    expect(d.message).not.toContain('\n');
  });

  test('an error the SDK could not read names the HTTP status', () => {
    const unknown = Object.assign(new Error('Unknown'), { name: 'Unknown', $metadata: { httpStatusCode: 403 } });
    expect(describeError(unknown)).toMatchObject({ code: 'HTTP403', message: expect.stringContaining('HTTP 403') });
    const parse = Object.assign(new Error('@aws-sdk XML parse error: unexpected content.\n  Deserialization error: to see the raw response, inspect the hidden field {error}.$response on this object.'), { $metadata: { httpStatusCode: 403 } });
    const d = describeError(parse);
    expect(d.code).toBe('HTTP403');
    expect(d.message).toBe('HTTP 403: @aws-sdk XML parse error: unexpected content.');
    const ok = Object.assign(new Error('@aws-sdk XML parse error: unexpected content.'), { $metadata: { httpStatusCode: 200 } });
    expect(describeError(ok).code).toBe('MalformedResponse');
  });
});
