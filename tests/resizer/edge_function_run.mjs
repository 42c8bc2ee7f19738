// Run the CloudFront Function on many requests: stdin is a JSON array of [uri, accept] pairs
// (accept: a string or null), stdout the JSON array of the URIs it returns. The Python port's
// tests (tests/localaws/test_negotiate.py) compare their answers with these.
import { loadHandler, viewerRequest } from './edge_function.mjs';

const chunks = [];
for await (const chunk of process.stdin) chunks.push(chunk);
const handler = loadHandler();
const pairs = JSON.parse(Buffer.concat(chunks).toString('utf8'));
const uris = pairs.map(([uri, accept]) => handler(viewerRequest(uri, accept)).uri);
process.stdout.write(JSON.stringify(uris));
