// The npm mirror on these machines only carries the linux-x64 build of biome's optional
// platform packages, so `npm install` leaves the others out of the lock and `npm ci` refuses it.
// Listing them (optional, with their os/cpu) lets `npm ci` skip them as it would anywhere.
// Run after changing dependencies: npm install && node scripts/fix-lock.cjs
const fs = require('fs');
const lock = JSON.parse(fs.readFileSync('package-lock.json', 'utf8'));
const platforms = {
  'cli-android-arm64': ['android', 'arm64'], 'cli-android-x64': ['android', 'x64'],
  'cli-darwin-arm64': ['darwin', 'arm64'], 'cli-darwin-x64': ['darwin', 'x64'],
  'cli-linux-arm64-musl': ['linux', 'arm64', 'musl'], 'cli-linux-x64-musl': ['linux', 'x64', 'musl'],
  'cli-win32-arm64': ['win32', 'arm64'], 'cli-win32-x64': ['win32', 'x64'],
};
const version = lock.packages['node_modules/@biomejs/biome'].version;
for (const [name, [os, cpu, libc]] of Object.entries(platforms)) {
  const key = `node_modules/@biomejs/${name}`;
  if (lock.packages[key]) continue;
  lock.packages[key] = { version, cpu: [cpu], dev: true, ...(libc ? { libc: [libc] } : {}), license: 'MIT OR Apache-2.0', optional: true, os: [os], engines: { node: '>=14.21.3' } };
}
fs.writeFileSync('package-lock.json', JSON.stringify(lock, null, 2) + '\n');
