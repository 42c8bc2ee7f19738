// node --test tests for the CloudFront Function resizer_lambda/edge/negotiate.js, on the table
// of real browsers' Accept headers in edge_accept_cases.json (run by test_edge_function.py).
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import { CASES, SOURCE, loadHandler, viewerRequest } from './edge_function.mjs';

const handler = loadHandler();
const CHROME = CASES.accept[0].accept;
const NEGOTIATED = CASES.uris[0];

function rewrite(uri, accept) {
  return handler(viewerRequest(uri, accept)).uri;
}

describe('the Accept table', () => {
  for (const row of CASES.accept) {
    test(`${row.name} -> ${row.expect || 'own format'}`, () => {
      for (const uri of CASES.uris) {
        assert.equal(rewrite(uri.uri, row.accept), uri[row.expect], uri.name);
      }
    });
  }
});

describe('URIs', () => {
  for (const row of CASES.uris) {
    test(row.name, () => {
      assert.equal(rewrite(row.uri, CHROME), row.avif);
      assert.equal(rewrite(row.uri, 'image/webp,*/*'), row.webp);
      assert.equal(rewrite(row.uri, '*/*'), row['']);
      assert.equal(rewrite(row.uri, null), row['']);
    });
  }

  test('a very long key is kept byte for byte', () => {
    const key = `originals/${'d%C3%A9j%C3%A0-vu/'.repeat(450)}a%20b.jpg`;
    assert.ok(key.length > 8000);
    assert.equal(rewrite(`/card.1a2b3c4d.auto/${key}`, CHROME), `/card.1a2b3c4d.avif/${key}`);
    assert.equal(rewrite(`/card.1a2b3c4d/${key}`, CHROME), `/card.1a2b3c4d/${key}`);
    const head = `${'x'.repeat(8000)}.auto`;
    assert.equal(rewrite(`/${head}/a.jpg`, null), `/${'x'.repeat(8000)}/a.jpg`);
  });
});

describe('the event', () => {
  test('the same request comes back, only its uri changed', () => {
    const event = viewerRequest(NEGOTIATED.uri, CHROME);
    const before = structuredClone(event.request);
    const request = handler(event);
    assert.equal(request, event.request);
    assert.deepEqual({ ...request, uri: before.uri }, before);
    assert.equal(request.uri, NEGOTIATED.avif);
  });

  test('an Accept header sent twice counts with all its values', () => {
    assert.equal(rewrite(NEGOTIATED.uri, ['image/png,*/*', 'image/webp']), NEGOTIATED.webp);
    assert.equal(rewrite(NEGOTIATED.uri, ['image/avif', 'image/avif;q=0']), NEGOTIATED.webp.replace('.webp', ''));
  });

  test('an Accept value over 1024 characters gets the own format, quickly', () => {
    const longest = `image/avif,${' '.repeat(1024 - 'image/avif,*/*'.length)}*/*`;
    assert.equal(longest.length, 1024);
    assert.equal(rewrite(NEGOTIATED.uri, longest), NEGOTIATED.avif);
    assert.equal(rewrite(NEGOTIATED.uri, `${longest} `), NEGOTIATED['']);
    assert.equal(rewrite(NEGOTIATED.uri, [longest, 'image/webp']), NEGOTIATED['']);
    const worst = 'image/webp;q=0.5,'.repeat(60).slice(0, 1024);
    const huge = 'image/webp;q=0.5,'.repeat(1200);
    const started = process.hrtime.bigint();
    for (let i = 0; i < 200; i++) {
      assert.equal(rewrite(NEGOTIATED.uri, worst), NEGOTIATED.webp);
      assert.equal(rewrite(NEGOTIATED.uri, huge), NEGOTIATED['']);
    }
    const perCallMs = Number(process.hrtime.bigint() - started) / 1e6 / 400;
    assert.ok(perCallMs < 1, `${perCallMs} ms per call`);
  });
});

describe('CloudFront Functions limits', () => {
  test('the code is under 10 KB, ASCII, and defines handler(event)', () => {
    assert.ok(Buffer.byteLength(SOURCE, 'utf8') <= 10240, `${Buffer.byteLength(SOURCE)} bytes`);
    assert.match(SOURCE, /^function handler\(event\) \{$/m);
    assert.ok(/^[\x20-\x7e\n]*$/.test(SOURCE), 'ASCII without tabs or control characters');
    assert.ok(SOURCE.endsWith('}\n') && !SOURCE.endsWith('\n\n'));
  });

  test('no modules, network, timers or globals beyond the language', () => {
    for (const word of ['require', 'import', 'fetch', 'setTimeout', 'process', 'console', 'eval']) {
      assert.doesNotMatch(SOURCE, new RegExp(`\\b${word}\\b`), word);
    }
  });
});
