/**
 * What the shell hooks share with TypeScript, each value taken from its one TypeScript
 * definition. The hooks' sources (hooks/*.in, templates/pre-receive.in) hold a `# @GENERATED@`
 * line where scripts/gen-shell.mjs (run by the build) puts the block below: shell variables and
 * functions, so the scripts themselves copy no constant, flag, query or message. The hooks stay
 * plain shell (no Node, no node_modules: a commit pays for no Node start-up, and pre-receive runs
 * in a bare repository). test/shell-parity.test.ts holds every value equal to its source.
 *
 * coveringQuery's escaping is code in the shell (awk), fed its rules from refRules();
 * test/hook-shell.test.ts holds the shell's query byte for byte equal to coveringQuery's.
 */
import crypto from 'node:crypto';
import { AGENT_ID_FIRST, AGENT_ID_HINT, AGENT_ID_MAX, AGENT_ID_REST, DURATION_MAX_MS } from '../fields.js';
import { printable, shellWord as pasteWord } from '../printable.js';
import { ARCHIVE, coveringQuery, escapeComponent, JOURNAL, LOCKS, lockRef, ROOT } from '../store/layout.js';
import { NEW_COMMIT_TREES, OBJECT_TYPES, TRAILER } from '../git/commits.js';
import { STAGED_DIFF } from '../git/worktree.js';
import { AGENT_FILE } from '../session/coord.js';
import { CONFIG_FILE } from '../session/config.js';
import { JOURNAL_REWIND_REFUSAL, editDenied, notRecordsRefusal } from '../hooks/render.js';
import { answer } from '../hooks/agent.js';
import { HELD_STATE } from '../operations/lock-audit.js';
import { WRITE_TOOLS } from '../operations/claude-setup.js';

/** The longest lock query the shell runs itself (the pre-commit hook, the agents' edit hook); longer: git-coord decides. */
export const SHELL_MAX_QUERY_BYTES = 65536;
/** The largest agent hook event (JSON) the edit hook parses in shell; larger: git-coord decides. */
export const AGENT_HOOK_MAX_INPUT_BYTES = 262144;

/**
 * coveringQuery (store/layout.ts) in awk: each path read (one a line, relative to the top) to the
 * patterns of the lock refs that could cover it, one a line, fed its rules from refRules() through
 * the GC_REF_* variables. Exits 2 on anything it leaves to git-coord: a quoted name (git's
 * core.quotepath), a character outside printable ASCII, a segment too long for a ref component,
 * an anchor deeper than git-coord keeps, a query longer than GC_MAX_QUERY_BYTES. A path's patterns
 * depend only on its directory (its own name is escaped only at the top), so a directory met
 * before is skipped: a commit's paths are mostly in few directories. The awk replaces the shell
 * that runs the function (`exec`: a process fewer), so call it only where that shell is a child:
 * at the end of a pipeline or in a command substitution, as every hook does.
 */
const COVERING_AWK = `LC_ALL=C exec awk -v L="$GC_LOCKS" -v K="$GC_REF_KEPT" -v MAXC="$GC_REF_COMPONENT_MAX" -v MAXA="$GC_REF_ANCHOR_MAX" -v MAXQ="$GC_MAX_QUERY_BYTES" -v P="\${gc_packed_refs:-}" '
    BEGIN { for (i = 32; i < 127; i++) hex[sprintf("%c", i)] = sprintf("_%02x", i) }
    function bad() { failed = 1; exit 2 }
    function esc(s,   out, i, c) {
      if (s ~ ("^[" K "]+$")) out = s
      else for (i = 1; i <= length(s); i++) {
        c = substr(s, i, 1)
        if (c ~ ("^[" K "]$")) out = out c
        else if (c in hex) out = out hex[c]
        else bad()
      }
      if (length(out) > MAXC + 0) bad()
      return out
    }
    function emit(q) {
      if (q in seen) return
      seen[q] = 1; print q; size += length(q) + 1
      r = substr(q, length(L) + 1); if ((j = index(r, "/")) > 0) first[substr(r, 1, j)] = 1
      if (size > MAXQ + 0) bad()
    }
    {
      if (substr($0, 1, 1) == "\\"") bad()
      # A path in a directory already done adds nothing: its patterns come from the directory alone.
      if (match($0, "/[^/]*$")) { d = substr($0, 1, RSTART - 1); if (d in done) next; done[d] = 1 }
      n = split($0, seg, "/"); dir = L
      emit(dir "l-*")
      for (k = 1; k < n; k++) {
        dir = dir "p-" esc(seg[k]) "/"
        if (length(dir) > length(L) + MAXA) bad()
        emit(dir "l-*")
      }
      if (n == 1) emit(L "p-" esc(seg[1]) "/l-*"); else emit(dir)
    }
    # With P (a packed-refs file), a last line after the patterns: "=near" when a ref it holds
    # matches one as for-each-ref matches (a pattern ending in "/" is a prefix; "<dir>l-*" is a
    # name in <dir> starting "l-"), "=clear" when none does, "=unsure" when it cannot be read.
    END {
      if (failed) exit 2
      if (P == "" || size == 0) exit
      v = "clear"; sorted = 0
      while ((r = (getline line < P)) > 0) {
        if (substr(line, 1, 1) == "#") { if (line ~ / sorted( |$)/) sorted = 1; continue }
        if (substr(line, 1, 1) == "^") continue
        ref = substr(line, index(line, " ") + 1)
        if (substr(ref, 1, length(L)) != L) { if (sorted && ref > L) break; continue }
        # A ref below a first directory no pattern names cannot match (a quick test: most refs).
        rest = substr(ref, length(L) + 1)
        if ((i = index(rest, "/")) > 0 && !(substr(rest, 1, i) in first)) continue
        # Each directory of the ref from L down (a prefix pattern), then its own name in the last.
        pre = L
        while ((i = index(rest, "/")) > 0) { pre = pre substr(rest, 1, i); rest = substr(rest, i + 1); if (pre in seen) break }
        if (i > 0 || (substr(rest, 1, 2) == "l-" && ((pre "l-*") in seen))) { v = "near"; break }
      }
      if (r < 0) v = "unsure"
      print "=" v
    }'`;

/** One word for sh: as is when plainly safe, else between single quotes. */
export function shellWord(s: string): string {
  return /^[A-Za-z0-9._=/:,+-]+$/.test(s) ? s : `'${s.replaceAll("'", `'\\''`)}'`;
}
const words = (ws: readonly string[]) => ws.map(shellWord).join(' ');

/** The empty tree's id in each object format (records are commits of it). */
function emptyTree(algo: 'sha1' | 'sha256'): string {
  return crypto.createHash(algo).update('tree 0\0').digest('hex');
}

/** The refusal pre-receive prints for coordination refs that are not records: its first and last lines. */
function notRecordsLines(): [string, string] {
  const lines = notRecordsRefusal([]).split('\n');
  return [lines[0]!, lines[lines.length - 1]!];
}

/**
 * coveringQuery's escaping and limits, read off the TypeScript functions themselves (store/layout.ts
 * keeps them private): the characters a ref component keeps as they are, as a bracket-expression
 * body; the longest escaped segment named as itself (longer ones are named by a hash, which the
 * shell leaves to git-coord); the most bytes of directory components an anchor holds.
 */
export function refRules(): { kept: string; componentMax: number; anchorMax: number } {
  const kept: number[] = [];
  for (let c = 32; c < 127; c++) if (escapeComponent(String.fromCharCode(c)) === String.fromCharCode(c)) kept.push(c);
  let componentMax = 0;
  while (componentMax < 4096 && lockRef({ text: 'x', kind: 'file', anchor: ['a'.repeat(componentMax + 1), 'f'] }).startsWith(`${LOCKS}p-`)) componentMax++;
  // Deep paths of one-letter directories after a first of 1 to 4 letters: every length modulo 4.
  let anchorMax = 0;
  for (let k = 1; k <= 4; k++) {
    const deep = ['a'.repeat(k), ...Array<string>(2048).fill('a'), 'f'].join('/');
    for (const q of coveringQuery([deep])) anchorMax = Math.max(anchorMax, q.replace(/l-\*$/, '').length - LOCKS.length);
  }
  return { kept: bracket(kept), componentMax, anchorMax };
}

/** Character codes as a bracket-expression body: runs of 3 or more as ranges, `-` last. */
function bracket(codes: number[]): string {
  let out = '';
  const dash = codes.includes(45);
  const rest = codes.filter((c) => c !== 45);
  for (let i = 0; i < rest.length; ) {
    let j = i;
    while (j + 1 < rest.length && rest[j + 1] === rest[j]! + 1) j++;
    const [a, b] = [String.fromCharCode(rest[i]!), String.fromCharCode(rest[j]!)];
    out += j - i >= 2 ? `${a}-${b}` : rest.slice(i, j + 1).map((c) => String.fromCharCode(c)).join('');
    i = j + 1;
  }
  if (/[\]\\^]/.test(out)) throw new Error(`a ref component keeps a character a bracket expression cannot hold plainly: ${out}`);
  return dash ? `${out}-` : out;
}

/**
 * The edit hook's denial of an edit to a held file (hooks/agent-pre-tool-use answers the plain
 * case itself): the Node hook's whole answer (answer(), editDenied()) with a mark in place of each
 * value, which the script puts back in one pass. The values it fills in are plain text (see
 * plainChars), so the JSON and the words of the next steps are the Node hook's byte for byte.
 */
export const DENIAL_MARKS = { tool: '@@tool@@', path: '@@path@@', pattern: '@@pattern@@', agent: '@@agent@@', until: '@@until@@', cmd: '@@cmd@@' } as const;
export function editDeniedTemplate(): string {
  const m = DENIAL_MARKS;
  const reason = editDenied(m.tool, [{ path: m.path, pattern: m.pattern, agent: m.agent, reason: '', expiresAt: m.until }], false, m.cmd);
  return answer('PreToolUse', { permissionDecision: 'deny', permissionDecisionReason: reason });
}

/**
 * The characters a path may hold for the edit hook to name it in its denial itself, as a
 * bracket-expression body: each is shown as itself (printable), pasted bare (shellWord) and needs
 * no escape in JSON; `@` (the marks') aside.
 */
export function plainChars(): string {
  const codes: number[] = [];
  for (let c = 33; c < 127; c++) {
    const ch = String.fromCharCode(c);
    if (ch !== '@' && printable(ch) === ch && pasteWord(`a${ch}`) === `a${ch}` && JSON.stringify(ch) === `"${ch}"`) codes.push(c);
  }
  return bracket(codes);
}

/** The shell variables, by name (each `GC_<name>` in the scripts). */
export function shellValues(): Record<string, string> {
  const [refused, hint] = notRecordsLines();
  const rules = refRules();
  return {
    GC_ROOT: ROOT,
    GC_LOCKS: LOCKS,
    // The archives of finished tasks hold trees of records: pre-receive leaves their pushes to Node (notArchives).
    GC_ARCHIVE: ARCHIVE,
    // Journals only grow: pre-receive refuses their deletion or rewind.
    GC_JOURNAL: JOURNAL,
    GC_JOURNAL_REFUSAL: JOURNAL_REWIND_REFUSAL,
    // The lock state that holds a path: pre-receive hands a lock ref's deletion or rewrite to Node when its old record may be one.
    GC_HELD_STATE: HELD_STATE,
    GC_REF_KEPT: rules.kept,
    GC_REF_COMPONENT_MAX: String(rules.componentMax),
    GC_REF_ANCHOR_MAX: String(rules.anchorMax),
    GC_CONFIG_FILE: CONFIG_FILE,
    GC_AGENT_FILE: AGENT_FILE,
    GC_TRAILER: TRAILER,
    GC_AGENT_ID_HINT: AGENT_ID_HINT,
    GC_EMPTY_TREE_SHA1: emptyTree('sha1'),
    GC_EMPTY_TREE_SHA256: emptyTree('sha256'),
    GC_NOT_RECORDS_REFUSAL: refused,
    GC_NOT_RECORDS_HINT: hint,
    GC_MAX_QUERY_BYTES: String(SHELL_MAX_QUERY_BYTES),
    // The agents' edit hook (hooks/agent-pre-tool-use): Claude Code's tools that write a file, the largest event it parses.
    GC_WRITE_TOOLS: WRITE_TOOLS.join(' '),
    GC_AGENT_HOOK_MAX_INPUT: String(AGENT_HOOK_MAX_INPUT_BYTES),
    // The edit hook's own denial of the plain held case: the answer with marks, the characters of
    // a plain path, and the rules of the lock record it reads (AgentId, TtlMs).
    GC_EDIT_DENIED: editDeniedTemplate(),
    GC_PLAIN_CHARS: plainChars(),
    GC_AGENT_ID_FIRST: AGENT_ID_FIRST,
    GC_AGENT_ID_REST: AGENT_ID_REST,
    GC_AGENT_ID_MAX: String(AGENT_ID_MAX),
    GC_TTL_MAX_MS: String(DURATION_MAX_MS),
  };
}

/** The shell functions: git commands and rules shared with TypeScript. */
export function shellFunctions(): Record<string, string> {
  return {
    // The staged paths, one a line, as git-coord reads them (STAGED_DIFF), but with unusual names
    // quoted (core.quotepath) instead of NUL-separated: the hook leaves those to git-coord.
    gc_staged_diff: `git -c core.quotepath=on ${words(STAGED_DIFF)} --`,
    // notRecords' reads (OBJECT_TYPES, NEW_COMMIT_TREES): stdin as git-coord writes it.
    gc_object_types: `git ${words(OBJECT_TYPES)}`,
    gc_new_commit_trees: `git ${words(NEW_COMMIT_TREES)}`,
    // AGENT_ID_RE as a case pattern (bytes, whatever the locale: in a subshell).
    gc_agent_id_ok:
      `(LC_ALL=C; case "$1" in '' | [!${AGENT_ID_FIRST}]* | *[!${AGENT_ID_REST}]*) exit 1 ;; esac; ` + `[ "\${#1}" -le ${AGENT_ID_MAX} ])`,
    // The lock refs that could cover each path on stdin (coveringQuery), one pattern a line.
    gc_covering_query: COVERING_AWK,
  };
}

export const GENERATED_MARK = '# @GENERATED@';

/** The block that replaces GENERATED_MARK. */
export function shellBlock(): string {
  const lines = ['# >>> generated from the TypeScript definitions (src/shell/values.ts) by scripts/gen-shell.mjs: do not edit >>>'];
  for (const [k, v] of Object.entries(shellValues())) lines.push(`${k}=${shellWord(v)}`);
  for (const [k, body] of Object.entries(shellFunctions())) lines.push(`${k}() { ${body}; }`);
  lines.push('# <<< generated <<<');
  return lines.join('\n');
}

/** A hook's script from its source: the generated block in place of the mark. */
export function renderShell(source: string): string {
  const at = source.indexOf(GENERATED_MARK);
  if (at < 0) throw new Error(`no ${GENERATED_MARK} line in a hook's source`);
  return source.slice(0, at) + shellBlock() + source.slice(at + GENERATED_MARK.length);
}

/** The hooks' sources and the scripts generated from them, relative to the package's root. */
export const SHELL_SCRIPTS: Record<string, string> = {
  'hooks/pre-commit.in': 'hooks/pre-commit',
  'hooks/prepare-commit-msg.in': 'hooks/prepare-commit-msg',
  'hooks/pre-push.in': 'hooks/pre-push',
  'templates/pre-receive.in': 'templates/pre-receive',
  'hooks/agent-pre-tool-use.in': 'hooks/agent-pre-tool-use',
};
