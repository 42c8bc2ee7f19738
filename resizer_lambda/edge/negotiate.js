// Format negotiation for plain variant URLs: a CloudFront Function (cloudfront-js-2.0) on the
// viewer-request event of the behaviour that serves variants. Source of truth: `make
// edge-function` copies this file into resizer_lambda/template.yaml (docs/resizer.md, "Format
// negotiation at the edge"). localaws/negotiate.py is its port for `make run`; the tests run
// both on tests/resizer/edge_accept_cases.json.
//
// A preset that negotiates gets URLs whose head ends in `.auto`: /card.1a2b3c4d.auto/<key>.
// Only a first path segment ending in `.auto` is touched, and only that suffix:
//   Accept allows image/avif -> .avif, else allows image/webp -> .webp, else no suffix (the
//   preset's own format).
// The rest of the URI is kept byte for byte (nothing is decoded or encoded). The URI is the
// cache key, so each format is cached under its own key: no Vary, no Accept in the key.
//
// "Allows" means listed by its exact type with q > 0, and never with q = 0 (or a malformed q).
// image/* and */* do not count: they are in every browser's header, also where AVIF and WebP
// do not decode; browsers that decode them say so by name. An Accept value over MAX_ACCEPT
// characters (browsers send under 200) gets the own format: that bounds the function's work.

var WANTED = ['avif', 'webp'];
var MAX_ACCEPT = 1024;

// q > 0 per RFC 9110's qvalue grammar; a malformed weight counts as a refusal.
function weightAllows(q) {
    return /^(0(\.[0-9]{0,3})?|1(\.0{0,3})?)$/.test(q) && /[1-9]/.test(q);
}

// Return {avif: true|false, webp: ...} for the types listed by name in an Accept value.
function listed(accept) {
    var verdict = {};
    var ranges = accept.toLowerCase().split(',');
    for (var i = 0; i < ranges.length; i++) {
        if (ranges[i].indexOf('avif') < 0 && ranges[i].indexOf('webp') < 0) continue;
        var params = ranges[i].split(';');
        var type = params[0].replace(/^[ \t]+|[ \t]+$/g, '');
        if (type.slice(0, 6) !== 'image/') continue;
        var fmt = type.slice(6);
        if (WANTED.indexOf(fmt) < 0) continue;
        var q = '1';
        for (var j = 1; j < params.length; j++) {
            var eq = params[j].indexOf('=');
            var name = params[j].slice(0, eq < 0 ? params[j].length : eq);
            if (name.replace(/^[ \t]+|[ \t]+$/g, '') === 'q') {
                q = eq < 0 ? '' : params[j].slice(eq + 1).replace(/^[ \t]+|[ \t]+$/g, '');
                break;
            }
        }
        var ok = weightAllows(q);
        verdict[fmt] = verdict[fmt] === false ? false : ok;
    }
    return verdict;
}

// Return 'avif', 'webp' or '' (the preset's own format) for the request's Accept header(s).
function choose(headers) {
    var header = headers && headers.accept;
    if (!header) return '';
    var accept = header.value || '';
    if (header.multiValue && header.multiValue.length > 1) {
        accept = header.multiValue.map(function (h) { return h.value; }).join(',');
    }
    if (accept.length > MAX_ACCEPT) return '';
    var verdict = listed(accept);
    for (var i = 0; i < WANTED.length; i++) {
        if (verdict[WANTED[i]] === true) return WANTED[i];
    }
    return '';
}

function handler(event) {
    var request = event.request;
    var uri = request.uri;
    var end = uri.indexOf('/', 1);
    if (uri.charAt(0) !== '/' || end < 0) return request;
    var head = uri.slice(1, end);
    if (head.length <= 5 || head.slice(-5) !== '.auto') return request;
    var fmt = choose(request.headers);
    request.uri = '/' + head.slice(0, -5) + (fmt ? '.' + fmt : '') + uri.slice(end);
    return request;
}
