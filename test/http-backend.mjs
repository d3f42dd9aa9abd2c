// A minimal smart-HTTP git server for tests and the bench: serves GIT_PROJECT_ROOT (argv[2])
// through `git http-backend` (CGI) on 127.0.0.1, prints its port, and stops when its parent's stdin
// closes. The client's `Git-Protocol` header reaches http-backend as GIT_PROTOCOL, as forges pass
// it (Apache's SetEnvIf, GitHub, GitLab), so fetches speak protocol v2 and filter refs by prefix.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';

// HTTP_BACKEND_LOG=<file>: one line per request, `<method> <path> <bytes in> <bytes out>` (the bench counts bytes).
const log = process.env.HTTP_BACKEND_LOG;

const root = process.argv[2];
const server = http.createServer((req, res) => {
  const u = new URL(req.url, 'http://x');
  const cgi = spawn('git', ['http-backend'], {
    env: {
      ...process.env,
      GIT_PROJECT_ROOT: root,
      GIT_HTTP_EXPORT_ALL: '1',
      REQUEST_METHOD: req.method,
      PATH_INFO: u.pathname,
      QUERY_STRING: u.search.slice(1),
      CONTENT_TYPE: req.headers['content-type'] ?? '',
      CONTENT_LENGTH: req.headers['content-length'] ?? '',
      HTTP_CONTENT_ENCODING: String(req.headers['content-encoding'] ?? ''),
      REMOTE_USER: 'agent',
      REMOTE_ADDR: '127.0.0.1',
      ...(req.headers['git-protocol'] ? { GIT_PROTOCOL: String(req.headers['git-protocol']) } : {}),
    },
  });
  let bytesIn = 0;
  let bytesOut = 0;
  req.on('data', (c) => (bytesIn += c.length));
  req.pipe(cgi.stdin);
  let head = Buffer.alloc(0);
  let headerDone = false;
  cgi.stdout.on('data', (chunk) => {
    bytesOut += chunk.length;
    if (headerDone) return void res.write(chunk);
    head = Buffer.concat([head, chunk]);
    const end = head.indexOf('\r\n\r\n');
    if (end < 0) return;
    headerDone = true;
    let status = 200;
    for (const line of head.subarray(0, end).toString().split('\r\n')) {
      const i = line.indexOf(':');
      const k = line.slice(0, i);
      const v = line.slice(i + 1).trim();
      if (k.toLowerCase() === 'status') status = parseInt(v, 10);
      else res.setHeader(k, v);
    }
    res.writeHead(status);
    res.write(head.subarray(end + 4));
  });
  cgi.on('close', () => {
    res.end();
    if (log) fs.appendFileSync(log, `${req.method} ${u.pathname} ${bytesIn} ${bytesOut}\n`);
  });
});
server.listen(0, '127.0.0.1', () => process.stdout.write(`${server.address().port}\n`));
process.stdin.on('end', () => process.exit(0));
process.stdin.resume();
// Bounded: a test server never outlives a few minutes.
// Bounded: a test server never outlives a few minutes (the bench asks for longer in argv[3], ms).
setTimeout(() => process.exit(0), Number(process.argv[3]) || 300_000).unref();
