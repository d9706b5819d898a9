// Guard: npm scripts must run on the Node 24 that the `node` devDependency installs into
// node_modules/.bin. If its install script was skipped (npm ci --ignore-scripts), npm silently
// falls back to the system Node, where undici 8 and @kubernetes/client-node 2 crash at import.
const major = Number(process.versions.node.split('.')[0]);
if (major !== 24) {
  console.error(
    `kv-cache-bench needs Node 24 from node_modules/.bin (the "node" devDependency); got ${process.version} at ${process.execPath}. ` +
      'Run `npm ci` without --ignore-scripts (package.json allowScripts approves "node").',
  );
  process.exit(1);
}
