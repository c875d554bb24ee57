/** The web UI's build: `ui/` → `ui/dist/` (hashed assets under `assets/`), served by `propflow server`. */
import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

export default defineConfig({
  root: import.meta.dirname,
  base: '/',
  plugins: [react()],
  logLevel: 'warn',
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    chunkSizeWarningLimit: 2500,
    sourcemap: false,
    // Quiet `npm ci`: no plugin-timing report from rolldown.
    rolldownOptions: { checks: { pluginTimings: false } },
  },
  server: { proxy: { '/ajax-api': 'http://127.0.0.1:5000', '/get-artifact': 'http://127.0.0.1:5000' } },
});
