// The npm mirror on these machines carries only the linux-x64 builds of some packages' optional
// platform packages (biome's CLI, DuckDB's node bindings), so `npm install` leaves the other
// platforms out of package-lock.json and `npm ci` then refuses the lock ("Missing: … from lock
// file"). Listing them (optional, with their os/cpu/libc) lets `npm ci` skip them as it would
// anywhere. Run after changing dependencies: npm install && node scripts/fix-lock.cjs
const fs = require('fs');
const lock = JSON.parse(fs.readFileSync('package-lock.json', 'utf8'));
const OS = ['darwin', 'linux', 'win32', 'android', 'freebsd', 'openbsd', 'sunos', 'aix'];
const CPU = ['arm64', 'x64', 'ia32', 'arm', 'ppc64', 's390x', 'riscv64', 'loong64'];

/** os/cpu/libc from a platform package name such as @duckdb/node-bindings-linux-arm64-musl. */
function platformOf(name) {
  const parts = name.split('/').pop().split('-');
  const os = parts.find((p) => OS.includes(p));
  const cpu = parts.find((p) => CPU.includes(p));
  if (!os || !cpu) return null;
  return { os: [os], cpu: [cpu], ...(parts.includes('musl') ? { libc: ['musl'] } : os === 'linux' ? { libc: ['glibc'] } : {}) };
}

let added = 0;
for (const [path, entry] of Object.entries(lock.packages)) {
  if (!path.startsWith('node_modules/') || !entry.optionalDependencies) continue;
  for (const [dep, spec] of Object.entries(entry.optionalDependencies)) {
    const key = `node_modules/${dep}`;
    if (lock.packages[key]) continue;
    const platform = platformOf(dep);
    const version = /^\d/.test(spec) ? spec : null;
    if (!platform || !version) continue; // not a platform build, or a range we cannot pin: leave it to npm
    lock.packages[key] = { version, ...(entry.dev ? { dev: true } : {}), optional: true, ...platform };
    added++;
  }
}
fs.writeFileSync('package-lock.json', JSON.stringify(lock, null, 2) + '\n');
console.log(`fix-lock: listed ${added} optional platform package(s) the mirror does not carry`);
