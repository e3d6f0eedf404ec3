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
    // ECharts (with its renderer, zrender) is two thirds of the bytes and only the charts need it:
    // it is imported lazily (src/components/chart.tsx) and split in two chunks that load in parallel.
    // React is its own chunk, so a dashboard change does not invalidate it in browsers' caches.
    rolldownOptions: {
      output: {
        codeSplitting: {
          groups: [
            { name: 'react', test: /[\\/]node_modules[\\/](react|react-dom|scheduler)[\\/]/ },
            { name: 'zrender', test: /[\\/]node_modules[\\/](zrender|tslib)[\\/]/ },
            { name: 'echarts', test: /[\\/]node_modules[\\/]echarts[\\/]/ },
          ],
        },
      },
    },
  },
  server: {
    proxy: { '/api': process.env.PAYSCOPE_URL ?? 'http://127.0.0.1:3004', '/health': process.env.PAYSCOPE_URL ?? 'http://127.0.0.1:3004' },
  },
});
