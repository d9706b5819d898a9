// The test command installs what the tests need from Debian (DESIGN.md, "Tests and set-up"): a real
// Prometheus and Pushgateway, headless Chromium for the HTML report, yamllint for the YAML. As root it
// installs what is missing (apt-get update first); otherwise it fails naming the command to run.
// No test skips silently for want of one of them.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

const NEEDED = [
  { pkg: 'prometheus', bin: '/usr/bin/prometheus' },
  { pkg: 'prometheus-pushgateway', bin: '/usr/bin/prometheus-pushgateway' },
  { pkg: 'chromium', bin: '/usr/bin/chromium' },
  { pkg: 'yamllint', bin: '/usr/bin/yamllint' },
];

const missing = NEEDED.filter((n) => !existsSync(n.bin)).map((n) => n.pkg);
if (missing.length === 0) process.exit(0);

const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
if (!isRoot) {
  console.error(
    `tests need Debian packages: ${missing.join(' ')}. Run: sudo apt-get update && sudo apt-get install -y ${missing.join(' ')}`,
  );
  process.exit(1);
}
console.error(`installing test dependencies: ${missing.join(' ')}`);
const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
execFileSync('apt-get', ['update', '-qq'], { stdio: 'inherit', env });
const r = spawnSync('apt-get', ['install', '-y', '-qq', '--no-install-recommends', ...missing], {
  stdio: 'inherit',
  env,
});
if (r.status !== 0) {
  console.error(`apt-get install ${missing.join(' ')} failed (exit ${r.status})`);
  process.exit(1);
}
// Debian starts daemons on install; the tests run their own on loopback ports.
for (const svc of ['prometheus', 'prometheus-pushgateway']) {
  spawnSync('systemctl', ['stop', svc], { stdio: 'ignore' });
  spawnSync('pkill', ['-x', svc === 'prometheus' ? 'prometheus' : 'prometheus-pushgateway'], {
    stdio: 'ignore',
  });
}
