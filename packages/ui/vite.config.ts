import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

// The gateway serves the build at /ui (services/api-gateway/src/ui.ts), so every asset URL is under it.
export default defineConfig({
  base: '/ui/',
  plugins: [react()],
  // React, zod (through the contracts) and yaml make one ~550 kB chunk (170 kB gzipped); an
  // operator's console loads it once, so it is not split.
  build: { outDir: 'dist', emptyOutDir: true, sourcemap: true, chunkSizeWarningLimit: 800 },
  // `npm run dev -w @jangar/ui` proxies the API to a local `npm start`.
  server: { proxy: { '/v1': 'http://127.0.0.1:8080', '/openapi.json': 'http://127.0.0.1:8080' } },
});
