/** The board's page: HTML, CSS and script, embedded as text at build time (no CDN: works offline). */
import HTML from './assets/index.html?raw';
import CSS from './assets/style.css?raw';
import SCRIPT from './assets/app.js?raw';

export const ASSETS: Record<string, { type: string; body: string }> = {
  '': { type: 'text/html; charset=utf-8', body: HTML },
  'style.css': { type: 'text/css; charset=utf-8', body: CSS },
  'app.js': { type: 'text/javascript; charset=utf-8', body: SCRIPT },
};
