// Entry of `npm run bench` (package.json: "bench": "npm run build && node bench/run.mjs"): the bench is
// TypeScript run by Node 24's type stripping, like the CLI under src/.
await import('./run.ts');
