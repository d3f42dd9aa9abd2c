/** The version of git-coord that is running: set by the build (scripts/build.mjs), else a development marker. */
declare const __VERSION__: string;
export const VERSION = typeof __VERSION__ === 'string' ? __VERSION__ : '0.0.0-dev';
