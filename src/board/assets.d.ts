/** The board's page files, embedded in the bundle as text at build time (scripts/build.mjs). */
declare module '*?raw' {
  const text: string;
  export default text;
}
