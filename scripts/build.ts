// Builds dist/colony.cjs: one esbuild bundle of src/main.ts, with koffi's native files copied beside it
// (dist/koffi/<triplet>/koffi.node), where src/system/libc.ts looks for them.
import { build } from 'esbuild';
import { cpSync, existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

const root = join(dirname(new URL(import.meta.url).pathname), '..');
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string };
const dist = join(root, 'dist');

rmSync(join(dist, 'koffi'), { recursive: true, force: true });
mkdirSync(dist, { recursive: true });

await build({
  entryPoints: [join(root, 'src/main.ts')],
  outfile: join(dist, 'colony.cjs'),
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node24',
  external: ['koffi'],
  define: { COLONY_BUNDLE: 'true', COLONY_VERSION: JSON.stringify(pkg.version), 'import.meta.url': '__colony_import_meta_url' },
  banner: { js: "const __colony_import_meta_url = require('node:url').pathToFileURL(__filename).href;" },
  legalComments: 'none',
  plugins: [
    {
      // pino's transports run in worker threads (thread-stream); colony writes its own destination and never
      // starts one. Their modules (worker_threads, thread-stream) would be loaded at every start for nothing
      // (~1.5 ms): pino's transport module becomes one that says so if called, and tools.js, which asks
      // worker_threads only whether it runs on the main thread, is told that it does (colony has no workers).
      name: 'pino-without-transports',
      setup(b) {
        const inPino = (importer: string): boolean => importer.includes(`${'/'}pino${'/'}`);
        b.onResolve({ filter: /^\.\/(lib\/)?transport$/ }, (args) => (inPino(args.importer) ? { path: 'pino-transport', namespace: 'stub' } : undefined));
        b.onResolve({ filter: /^worker_threads$/ }, (args) => (inPino(args.importer) ? { path: 'pino-worker-threads', namespace: 'stub' } : undefined));
        b.onLoad({ filter: /^pino-transport$/, namespace: 'stub' }, () => ({
          contents: "module.exports = function transport() { throw new Error('pino transports are not part of colony'); };",
          loader: 'js',
        }));
        b.onLoad({ filter: /^pino-worker-threads$/, namespace: 'stub' }, () => ({ contents: 'module.exports = { isMainThread: true };', loader: 'js' }));
      },
    },
    {
      // zod re-exports every locale (~290 KB) for z.locales, which colony never uses (its messages are its
      // own; zod's English one is imported separately): the index is replaced by an empty module.
      name: 'zod-without-locales',
      setup(b) {
        b.onResolve({ filter: /\/locales\/index\.js$/ }, (args) => (args.importer.includes(`${'/'}zod${'/'}`) ? { path: 'zod-locales', namespace: 'empty' } : undefined));
        b.onLoad({ filter: /.*/, namespace: 'empty' }, () => ({ contents: 'export {};', loader: 'js' }));
      },
    },
  ],
  // Whitespace and syntax only: identifiers stay, so stack traces keep their names. Measured here:
  // --version of the single executable 44 → 35 ms (less code to parse and to load from the code cache).
  minifyWhitespace: true,
  minifySyntax: true,
  logLevel: 'warning',
});

// koffi's prebuilt native modules for this architecture (glibc and musl).
const require = createRequire(import.meta.url);
const koffiPkg = dirname(require.resolve(`@koromix/koffi-linux-${process.arch}/package.json`));
for (const triplet of [`linux_${process.arch}`, `musl_${process.arch}`]) {
  const from = join(koffiPkg, triplet, 'koffi.node');
  if (!existsSync(from)) continue;
  mkdirSync(join(dist, 'koffi', triplet), { recursive: true });
  cpSync(from, join(dist, 'koffi', triplet, 'koffi.node'));
}
console.log(`built ${join(dist, 'colony.cjs')} (colony ${pkg.version})`);
