// Load resizer_lambda/edge/negotiate.js the way CloudFront Functions runs it, and build its events.
//
// The file is evaluated as a strict-mode script (the runtime always runs strict) in a fresh vm
// context holding nothing but the language: no require, process, console or timers, so code that
// reached for anything the runtime lacks fails here. Events are shaped as CloudFront passes them
// to a viewer-request function (header names lower-case; docs "CloudFront Functions event
// structure").
import { readFileSync } from 'node:fs';
import vm from 'node:vm';

const ROOT = new URL('../../', import.meta.url);
export const SOURCE_PATH = new URL('resizer_lambda/edge/negotiate.js', ROOT);
export const SOURCE = readFileSync(SOURCE_PATH, 'utf8');
export const CASES = JSON.parse(
  readFileSync(new URL('tests/resizer/edge_accept_cases.json', ROOT), 'utf8'),
);

export function loadHandler() {
  const context = vm.createContext({});
  vm.runInContext(`"use strict";\n${SOURCE}`, context, { filename: 'negotiate.js', timeout: 1000 });
  if (typeof context.handler !== 'function') throw new Error('negotiate.js defines no handler');
  return context.handler;
}

// A viewer-request event for `uri`; `accept` is a header value, an array of values (the header
// sent several times: CloudFront gives the first as `value` and all in `multiValue`), or null.
export function viewerRequest(uri, accept) {
  const headers = { host: { value: 'img.example.com' } };
  if (Array.isArray(accept)) {
    headers.accept = { value: accept[0], multiValue: accept.map((value) => ({ value })) };
  } else if (accept !== null && accept !== undefined) {
    headers.accept = { value: accept };
  }
  return {
    version: '1.0',
    context: {
      distributionDomainName: 'd111111abcdef8.cloudfront.net',
      distributionId: 'EDFDVBD6EXAMPLE',
      eventType: 'viewer-request',
      requestId: '4TyzHTaYWb1GX1qTfsHhEqV6HUDd_BzoBZnwfnvQc_1oF26ClkoUSEQ==',
    },
    viewer: { ip: '198.51.100.11' },
    request: {
      method: 'GET',
      uri,
      querystring: { v: { value: '1' } },
      headers,
      cookies: { session: { value: 'abc' } },
    },
  };
}
