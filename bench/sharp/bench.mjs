// Peer baselines for bench/run.py, measured with sharp (libvips), single-threaded.
//
//   node bench.mjs CONFIG.json  ->  JSON results on stdout
//
// CONFIG: {"files": [{"name", "path", "format"}], "widths": [150, ...], "repeats": 3,
//          "quality": 82, "outDir": "..."}
//
// (b) "per_width": one request per width, as the source design's Lambda does:
//     sharp(buffer).resize({width, withoutEnlargement}).<format>(opts).toBuffer()
//     Each call decodes again; libvips uses shrink-on-load (JPEG DCT scaling, WebP scaled
//     decode) on its own, so this is sharp at its best for one output.
// (c) "shared": every width from one request. Two honest ways, both timed; run.py takes the
//     faster per file as "the best peer":
//     - "clone": const base = sharp(buffer); base.clone().resize(w)... per width. This is
//       what sharp's docs recommend for several outputs of one input; libvips still decodes
//       per pipeline (with shrink-on-load), the input buffer is shared.
//     - "raw": decode once in full to raw pixels (.raw().toBuffer()), then resize each width
//       from the raw buffer. Exactly one decode, but no shrink-on-load.
// Widths run sequentially (await each); with sharp.concurrency(1), VIPS_CONCURRENCY=1,
// UV_THREADPOOL_SIZE=1 and taskset from run.py everything runs on one core.
// sharp.cache(false) so repeats recompute everything.

import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import sharp from "sharp";

sharp.cache(false);
sharp.concurrency(1);

const rssMode = process.argv[2] === "--rss";
const config = rssMode ? {} : JSON.parse(readFileSync(process.argv[2], "utf8"));
const quality = config.quality ?? 82;
const repeats = Math.max(1, config.repeats ?? 3);

function encode(pipeline, format) {
  switch (format) {
    case "jpeg":
      // libjpeg-turbo-compatible settings (mozjpeg off), Huffman optimisation as sharp's default.
      return pipeline.jpeg({ quality, mozjpeg: false });
    case "png":
      return pipeline.png(); // sharp defaults: compressionLevel 6, no adaptive filtering
    case "webp":
      return pipeline.webp({ quality }); // effort 4, like Pillow's method=4
    default:
      throw new Error(`unsupported format ${format}`);
  }
}

const resizeOpts = (width) => ({ width, withoutEnlargement: true, kernel: "lanczos3" });

async function perWidth(buf, format, width) {
  return encode(sharp(buf).resize(resizeOpts(width)), format).toBuffer();
}

async function sharedClone(buf, format, widths) {
  const base = sharp(buf);
  const out = [];
  for (const w of widths) {
    out.push(await encode(base.clone().resize(resizeOpts(w)), format).toBuffer());
  }
  return out;
}

async function sharedRaw(buf, format, widths) {
  const { data, info } = await sharp(buf).raw().toBuffer({ resolveWithObject: true });
  const raw = { raw: { width: info.width, height: info.height, channels: info.channels } };
  const out = [];
  for (const w of widths) {
    out.push(await encode(sharp(data, raw).resize(resizeOpts(w)), format).toBuffer());
  }
  return out;
}

// `node bench.mjs --rss FILE 150,300,...`: render every width per request (b) from FILE and
// print the process's peak RSS, for comparison with run.py's 50 MP check.
if (process.argv[2] === "--rss") {
  const buf = readFileSync(process.argv[3]);
  const fmt = (await sharp(buf).metadata()).format;
  for (const w of process.argv[4].split(",").map(Number)) {
    await encode(sharp(buf).resize(resizeOpts(w)), fmt === "jpg" ? "jpeg" : fmt).toBuffer();
  }
  // VmHWM, not resourceUsage().maxRSS: Linux carries a forking parent's peak into maxRSS.
  const hwm = readFileSync("/proc/self/status", "utf8").match(/^VmHWM:\s+(\d+)/m);
  process.stdout.write(`${JSON.stringify({ maxrss_mb: Number(hwm[1]) / 1024 })}\n`);
  process.exit(0);
}

const now = () => Number(process.hrtime.bigint()) / 1e6;
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

async function timeIt(fn) {
  await fn(); // warm-up (also the run whose outputs are kept)
  const samples = [];
  let last;
  for (let i = 0; i < repeats; i++) {
    const t0 = now();
    last = await fn();
    samples.push(now() - t0);
  }
  return { ms: median(samples), samples, result: last };
}

const ext = { jpeg: "jpg", png: "png", webp: "webp" };
const results = {
  sharp: sharp.versions.sharp,
  vips: sharp.versions.vips,
  concurrency: sharp.concurrency(),
  simd: sharp.simd(),
  files: {},
};

for (const file of config.files) {
  const buf = readFileSync(file.path);
  const fmt = file.format;
  const dir = join(config.outDir, file.name);
  mkdirSync(dir, { recursive: true });
  const entry = { per_width: {}, shared: {}, outputs: { per_width: {}, clone: {}, raw: {} } };

  for (const w of config.widths) {
    const r = await timeIt(() => perWidth(buf, fmt, w));
    entry.per_width[w] = { ms: r.ms, samples: r.samples, bytes: r.result.length };
    const p = join(dir, `b_${w}.${ext[fmt]}`);
    writeFileSync(p, r.result);
    entry.outputs.per_width[w] = p;
  }
  for (const [kind, fn] of [
    ["clone", sharedClone],
    ["raw", sharedRaw],
  ]) {
    const r = await timeIt(() => fn(buf, fmt, config.widths));
    entry.shared[kind] = { ms: r.ms, samples: r.samples };
    config.widths.forEach((w, i) => {
      const p = join(dir, `c_${kind}_${w}.${ext[fmt]}`);
      writeFileSync(p, r.result[i]);
      entry.outputs[kind][w] = p;
    });
  }
  results.files[file.name] = entry;
  process.stderr.write(`[sharp] ${file.name} done\n`);
}

process.stdout.write(`${JSON.stringify(results)}\n`);
