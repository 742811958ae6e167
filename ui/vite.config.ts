/// <reference types="vitest/config" />
import { defineConfig } from 'vite';

// Tauri: devUrl http://localhost:5173, frontendDist ../ui/dist.
export default defineConfig({
  base: './',
  clearScreen: false,
  server: { port: 5173, strictPort: true },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'safari15', // WebKitGTK
    modulePreload: { polyfill: false },
    assetsInlineLimit: 0, // no data: URIs for scripts/fonts; everything is a file under 'self'
  },
  test: {
    environment: 'jsdom',
    include: ['tests/**/*.test.ts'],
    restoreMocks: true,
  },
});
