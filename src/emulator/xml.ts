/** Minimal XML writing for the emulator's responses: text escaping and element helpers. */

const XML_ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' };

/** Escapes text for XML; characters XML 1.0 cannot carry at all are written as numeric references. */
export function esc(value: unknown): string {
  return String(value).replace(/[&<>"']|[\u0000-\u0008\u000b\u000c\u000e-\u001f]/g, (c) => XML_ESCAPES[c] ?? `&#x${c.charCodeAt(0).toString(16)};`);
}

/** `<name>text</name>`, or nothing when the value is absent. */
export function el(name: string, value: unknown): string {
  if (value === undefined || value === null) return '';
  return `<${name}>${esc(value)}</${name}>`;
}

export const XML_DECL = '<?xml version="1.0" encoding="UTF-8"?>\n';
export const EC2_NS = 'http://ec2.amazonaws.com/doc/2016-11-15/';
export const STS_NS = 'https://sts.amazonaws.com/doc/2011-06-15/';

export function ec2Response(action: string, requestId: string, body: string): string {
  return `${XML_DECL}<${action}Response xmlns="${EC2_NS}"><requestId>${requestId}</requestId>${body}</${action}Response>`;
}

export function ec2Error(code: string, message: string, requestId: string): string {
  return `${XML_DECL}<Response><Errors><Error><Code>${esc(code)}</Code><Message>${esc(message)}</Message></Error></Errors><RequestID>${requestId}</RequestID></Response>`;
}

export function stsResponse(action: string, requestId: string, body: string): string {
  return `${XML_DECL}<${action}Response xmlns="${STS_NS}"><${action}Result>${body}</${action}Result><ResponseMetadata><RequestId>${requestId}</RequestId></ResponseMetadata></${action}Response>`;
}

export function stsError(code: string, message: string, requestId: string, type: 'Sender' | 'Receiver' = 'Sender'): string {
  return `${XML_DECL}<ErrorResponse xmlns="${STS_NS}"><Error><Type>${type}</Type><Code>${esc(code)}</Code><Message>${esc(message)}</Message></Error><RequestId>${requestId}</RequestId></ErrorResponse>`;
}
