import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

// The dashboard: `npm run build:web` → dist/web (served by the API process at `/`).
// `npx vite --config web/vite.config.ts` serves it with hot reload and proxies the API to PAYSCOPE_URL.
export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  base: '/',
  publicDir: false,
  build: {
    outDir: fileURLToPath(new URL('../dist/web', import.meta.url)),
    emptyOutDir: true,
    sourcemap: true,
    chunkSizeWarningLimit: 1500,
  },
  server: {
    proxy: { '/api': process.env.PAYSCOPE_URL ?? 'http://127.0.0.1:3004', '/health': process.env.PAYSCOPE_URL ?? 'http://127.0.0.1:3004' },
  },
});
