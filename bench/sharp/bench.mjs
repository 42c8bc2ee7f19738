// The sharp side of bench/run.py: sharp (libvips) at its best, single-threaded, served over a pipe
// so that run.py can interleave it with our own pipeline (paired measurements, same core).
//
//   node bench.mjs --serve            JSON requests on stdin, one JSON answer per line on stdout
//   node bench.mjs --rss FILE W,W,..  peak RSS of (b) for every width of FILE
//
// Requests: {"op": "per_width", "path", "format", "width", "quality", "out"?}
//           {"op": "shared", "path", "format", "widths", "quality", "out"?: {width: path}}
// Answers:  {"ms", "bytes": [...]} (timed inside node, excluding the pipe), or {"error"}.
//
// (b) "per_width": one request per width, what a careful sharp user writes for one output:
//     sharp(buffer).rotate().resize({width, withoutEnlargement}).<format>(opts).toBuffer()
//     libvips applies shrink-on-load (JPEG DCT scaling, WebP scaled decode) by itself.
// (c) "shared": every width from one decode, as a careful user makes several widths: one decode
//     with shrink-on-load straight to the largest output width, raw pixels kept, then every
//     output encoded from those pixels (the largest as it is, each smaller one resized from
//     them). `.rotate()` applies EXIF orientation; sharp converts ICC-tagged input to sRGB.
// Formats: JPEG/WebP quality from the request (the presets' 82 on both sides), mozjpeg off,
// WebP effort 4 (Pillow's method 4); PNG with sharp's defaults (compressionLevel 6, no
// adaptive filtering). sharp.concurrency(1), VIPS_CONCURRENCY=1, UV_THREADPOOL_SIZE=1 and
// taskset from run.py keep it on one core; sharp.cache(false) so repeats recompute everything.

import { readFileSync, writeFileSync } from "node:fs";
import { createInterface } from "node:readline";
import sharp from "sharp";

sharp.cache(false);
sharp.concurrency(1);

function encode(pipeline, format, quality) {
  switch (format) {
    case "jpeg":
      return pipeline.jpeg({ quality, mozjpeg: false });
    case "png":
      return pipeline.png(); // sharp defaults: compressionLevel 6, adaptiveFiltering false
    case "webp":
      return pipeline.webp({ quality }); // effort 4, like Pillow's method=4
    default:
      throw new Error(`unsupported format ${format}`);
  }
}

const resizeOpts = (width) => ({ width, withoutEnlargement: true, kernel: "lanczos3" });

async function perWidth(buf, format, width, quality) {
  return encode(sharp(buf).rotate().resize(resizeOpts(width)), format, quality).toBuffer();
}

async function shared(buf, format, widths, quality) {
  const top = Math.max(...widths);
  const { data, info } = await sharp(buf)
    .rotate()
    .resize(resizeOpts(top))
    .raw()
    .toBuffer({ resolveWithObject: true });
  const raw = { raw: { width: info.width, height: info.height, channels: info.channels } };
  const out = {};
  for (const w of [...widths].sort((a, b) => b - a)) {
    const base = sharp(data, raw);
    const pipeline = w >= info.width ? base : base.resize(resizeOpts(w));
    out[w] = await encode(pipeline, format, quality).toBuffer();
  }
  return widths.map((w) => out[w]);
}

if (process.argv[2] === "--rss") {
  const buf = readFileSync(process.argv[3]);
  const fmt = (await sharp(buf).metadata()).format;
  for (const w of process.argv[4].split(",").map(Number)) {
    await perWidth(buf, fmt === "jpg" ? "jpeg" : fmt, w, 82);
  }
  // VmHWM, not resourceUsage().maxRSS: Linux carries a forking parent's peak into maxRSS.
  const hwm = readFileSync("/proc/self/status", "utf8").match(/^VmHWM:\s+(\d+)/m);
  process.stdout.write(`${JSON.stringify({ maxrss_mb: Number(hwm[1]) / 1024 })}\n`);
  process.exit(0);
}

if (process.argv[2] !== "--serve") {
  process.stderr.write("usage: node bench.mjs --serve | --rss FILE W,W,...\n");
  process.exit(2);
}

const now = () => Number(process.hrtime.bigint()) / 1e6;
const buffers = new Map(); // path -> bytes: read once, like ours (bytes in memory)

async function handle(req) {
  if (req.op === "versions") {
    return {
      sharp: sharp.versions.sharp,
      vips: sharp.versions.vips,
      concurrency: sharp.concurrency(),
      simd: sharp.simd(),
    };
  }
  let buf = buffers.get(req.path);
  if (buf === undefined) {
    buf = readFileSync(req.path);
    buffers.set(req.path, buf);
  }
  const t0 = now();
  let blobs;
  if (req.op === "per_width") {
    blobs = [await perWidth(buf, req.format, req.width, req.quality)];
  } else if (req.op === "shared") {
    blobs = await shared(buf, req.format, req.widths, req.quality);
  } else {
    throw new Error(`unknown op ${req.op}`);
  }
  const ms = now() - t0;
  if (req.out) {
    const paths = Array.isArray(req.out) ? req.out : [req.out];
    paths.forEach((p, i) => writeFileSync(p, blobs[i]));
  }
  return { ms, bytes: blobs.map((b) => b.length) };
}

const rl = createInterface({ input: process.stdin });
for await (const line of rl) {
  if (!line.trim()) continue;
  let answer;
  try {
    answer = await handle(JSON.parse(line));
  } catch (err) {
    answer = { error: String(err && err.stack ? err.stack : err) };
  }
  process.stdout.write(`${JSON.stringify(answer)}\n`);
}
