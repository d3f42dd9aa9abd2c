import { describe, expect, it } from 'vitest';
import { shellWrites, SHELL_MAX_CHARS } from '../src/agent-hooks/shell-writes.js';
import { lex } from '../src/agent-hooks/shell-lex.js';

const CWD = '/repo';
const w = (cmd: string, cwd = CWD) => shellWrites(cmd, cwd);
/** Targets, relative to /repo where inside it, for short expectations. */
const t = (cmd: string, cwd = CWD) => w(cmd, cwd).targets.map((p) => (p.startsWith('/repo/') ? p.slice(6) : p === '/repo' ? '.' : p));
const clear = (cmd: string, targets: string[]) => {
  expect(t(cmd), cmd).toEqual(targets);
  expect(w(cmd).unclear, `${cmd}: unclear`).toBe(false);
};
const unclear = (cmd: string, targets: string[] = []) => {
  expect(t(cmd), cmd).toEqual(targets);
  expect(w(cmd).unclear, `${cmd}: unclear`).toBe(true);
};

describe('shellWrites: redirections', () => {
  it('finds the target of every output redirection', () => {
    clear('echo x > src/held.ts', ['src/held.ts']);
    clear('echo x >> log.txt', ['log.txt']);
    clear('echo x >| f', ['f']);
    clear('make &> build.log', ['build.log']);
    clear('make &>> build.log', ['build.log']);
    clear('make 2> err.txt', ['err.txt']);
    clear('make 2>>err.txt 1>out.txt', ['err.txt', 'out.txt']);
    clear('exec 3<> rw.bin', ['rw.bin']);
    clear('cmd >& both.log', ['both.log']);
    clear('>empty.txt', ['empty.txt']);
    clear('echo x>a;echo y>b', ['a', 'b']);
  });

  it('does not count input, fd duplication or /dev files', () => {
    clear('sort < in.txt', []);
    clear('cmd 2>&1', []);
    clear('cmd >&2', []);
    clear('cmd 2>&-', []);
    clear('cmd > /dev/null 2>/dev/stderr', []);
    clear('cat <<< "text > not-a-file"', []);
  });

  it('takes a quoted digit before > for a file name, not an fd', () => {
    clear('echo "2"> x', ['x']);
    clear('echo a2> x', ['x']);
  });

  it('keeps absolute paths and normalises relative ones', () => {
    clear('echo x > /tmp/a', ['/tmp/a']);
    clear('echo x > ./src/../src/a.ts', ['src/a.ts']);
    clear('echo x > ../outside', ['/outside']);
  });

  it('reads quotes and escapes in targets', () => {
    clear(`echo x > 'a b.txt'`, ['a b.txt']);
    clear('echo x > "dir/c d.txt"', ['dir/c d.txt']);
    clear('echo x > e\\ f.txt', ['e f.txt']);
    clear(`echo x > $'g\\th'`, ['g\th']);
    clear('echo "a > b" \'c > d\' > real', ['real']);
  });

  it('ignores redirections inside [[ ]] tests', () => {
    clear('[[ a > b ]] && echo yes', []);
  });
});

describe('shellWrites: programs', () => {
  it('tee, with and without -a, several files', () => {
    clear('echo x | tee out.txt', ['out.txt']);
    clear('echo x | tee -a a.txt b.txt', ['a.txt', 'b.txt']);
    clear('echo x | tee --append -- -odd', ['-odd']);
  });

  it('sed -i in its GNU and BSD forms, several files', () => {
    clear("sed -i 's/a/b/' src/held.ts", ['src/held.ts']);
    clear("sed -i.bak 's/a/b/' a.ts b.ts", ['a.ts', 'b.ts']);
    clear("sed -i '' 's/a/b/' a.ts", ['a.ts']);
    clear("sed -i .bak 's/a/b/' a.ts", ['a.ts']);
    clear("sed --in-place=.orig -e 's/a/b/' -e 's/c/d/' x.ts", ['x.ts']);
    clear("sed -Ei 's/a/b/' y.ts", ['y.ts']);
    clear("sed -i -e 's/a/b/' z.ts", ['z.ts']);
    clear("sed -n 's/a/b/p' a.ts", []);
    clear("sed 's/a/b/' a.ts > out.ts", ['out.ts']);
    clear("sed -f script.sed -i a.ts", ['a.ts']);
  });

  it('perl -i and awk -i inplace', () => {
    clear("perl -pi -e 's/a/b/' a.ts b.ts", ['a.ts', 'b.ts']);
    clear("perl -i.bak -pe 's/a/b/' c.ts", ['c.ts']);
    clear("gawk -i inplace '{print}' d.ts", ['d.ts']);
    clear("awk '{print $1}' data.txt", []);
    unclear(`awk '{print > "out"}' data.txt`);
  });

  it('cp, mv, install, ln: the destination, a directory and the names inside it', () => {
    clear('cp a.ts b.ts', ['b.ts', 'b.ts/a.ts']);
    clear('cp -r src/ dest/', ['dest', 'dest/src']);
    clear('cp x.ts y.ts dir', ['dir', 'dir/x.ts', 'dir/y.ts']);
    clear('cp -t dir x.ts y.ts', ['dir', 'dir/x.ts', 'dir/y.ts']);
    clear('cp --target-directory=dir x.ts', ['dir', 'dir/x.ts']);
    clear('cp -T a.ts b.ts', ['b.ts']);
    clear('mv old.ts new.ts', ['old.ts', 'new.ts', 'new.ts/old.ts']);
    clear('mv -t lib a.ts', ['a.ts', 'lib', 'lib/a.ts']);
    clear('install -m 644 a.ts /usr/local/a.ts', ['/usr/local/a.ts', '/usr/local/a.ts/a.ts']);
    clear('ln -sf target.ts link.ts', ['link.ts', 'link.ts/target.ts']);
    clear('rsync -av src/ host:backup/', []);
    clear('rsync -av src/ backup/', ['backup', 'backup/src']);
  });

  it('rm, touch, truncate, chmod, dd, unlink', () => {
    clear('rm -rf build dist/x.js', ['build', 'dist/x.js']);
    clear('rm -- -weird', ['-weird']);
    clear('unlink a', ['a']);
    clear('touch -d yesterday a.ts b.ts', ['a.ts', 'b.ts']);
    clear('touch -r ref.ts a.ts', ['a.ts']);
    clear('truncate -s 0 a.log', ['a.log']);
    clear('truncate --size=0 b.log', ['b.log']);
    clear('chmod +x run.sh', ['run.sh']);
    clear('chmod -R 755 bin', ['bin']);
    clear('chown --reference=a b c', ['b', 'c']);
    clear('dd if=/dev/zero of=disk.img bs=1M count=1', ['disk.img']);
  });

  it('git: checkout --, restore (worktree and staged), rm, mv', () => {
    clear('git checkout -- src/held.ts', ['src/held.ts']);
    clear('git checkout HEAD~1 -- a.ts b.ts', ['a.ts', 'b.ts']);
    clear('git restore src/held.ts', ['src/held.ts']);
    clear('git restore --source=HEAD~2 -- a.ts', ['a.ts']);
    clear('git restore -s main a.ts', ['a.ts']);
    clear('git restore --staged a.ts', []);
    clear('git restore --staged --worktree a.ts', ['a.ts']);
    clear('git restore -SW a.ts', ['a.ts']);
    clear('git restore .', ['.']);
    clear('git -C sub restore x.ts', ['sub/x.ts']);
    clear('git rm -r old', ['old']);
    clear('git rm --cached a.ts', []);
    clear('git mv a.ts lib', ['a.ts', 'lib', 'lib/a.ts']);
    clear('git status && git diff > d.patch', ['d.patch']);
    clear('git commit -m "x > y"', []);
  });

  it('git commands that rewrite the work tree beyond their arguments are unclear', () => {
    unclear('git checkout src/held.ts', ['src/held.ts']);
    unclear('git checkout -b feature');
    unclear('git stash');
    unclear('git reset --hard');
    unclear('git clean -fd');
    unclear('git switch main');
    unclear('git pull');
    unclear('git apply fix.patch');
    clear('git stash list', []);
    clear('git clean -n', []);
    clear('git apply --check fix.patch', []);
    clear('git reset HEAD a.ts', []);
    unclear('git restore ":(glob)src/*"');
  });

  it('patches run through the shell', () => {
    clear("apply_patch <<'EOF'\n*** Begin Patch\n*** Update File: src/held.ts\n@@\n-a\n+b\n*** End Patch\nEOF\n", ['src/held.ts']);
    clear("cd src && apply_patch <<'EOF'\n*** Begin Patch\n*** Add File: new.ts\n+x\n*** End Patch\nEOF", ['src/new.ts']);
    clear("printf '%s' '*** Begin Patch\n*** Delete File: gone.ts\n*** End Patch' | apply_patch", ['gone.ts']);
    unclear('patch -p1 < fix.diff');
    clear('patch -o out.c in.c fix.diff', ['out.c', 'in.c']);
  });

  it('curl and wget outputs', () => {
    clear('curl -sSL -o tool.tgz https://example.test/tool.tgz', ['tool.tgz']);
    clear('curl https://example.test/x', []);
    clear('wget -O page.html https://example.test/', ['page.html']);
    unclear('wget https://example.test/file');
  });

  it('programs it does not know write nothing evident and are not unclear', () => {
    clear('npm test', []);
    clear('ls -la src | grep ts', []);
    clear('node scripts/build.mjs', []);
    clear('python3 tool.py --out x', []);
  });
});

describe('shellWrites: command structure', () => {
  it('splits on ; && || | & and newlines', () => {
    clear('a > 1; b > 2 && c > 3 || d > 4 | e > 5 & f > 6\ng > 7', ['1', '2', '3', '4', '5', '6', '7']);
  });

  it('tracks cd across the command, in subshells and not out of them', () => {
    clear('cd src && echo x > held.ts', ['src/held.ts']);
    clear('cd src; cd ..; echo x > top.ts', ['top.ts']);
    clear('(cd src && echo x > in.ts); echo y > out.ts', ['src/in.ts', 'out.ts']);
    clear('cd /abs && touch f', ['/abs/f']);
    clear('cd src | true; echo x > here.ts', ['here.ts']);
    clear('pushd lib && rm a.ts && popd', ['lib/a.ts']);
    clear('{ cd src; echo x > a; }', ['src/a']);
  });

  it('a cd it cannot follow makes later relative targets unclear', () => {
    unclear('cd "$DIR" && echo x > a.ts');
    unclear('cd && rm x');
    unclear('cd - && rm x');
    unclear('popd; rm x');
    // absolute targets stay evident
    clear('cd $X && rm /abs/y', ['/abs/y']);
    unclear("cat fix.patch | apply_patch");
  });

  it('follows redirections on a subshell or group', () => {
    clear('(echo a; echo b) > both.txt', ['both.txt']);
    clear('{ echo a; } >> log', ['log']);
  });

  it('looks inside command substitutions, process substitutions and backticks', () => {
    unclear('echo $(echo x > inner.ts) > "$(date).log"', ['inner.ts']);
    clear('x=`touch made.ts`', ['made.ts']);
    clear('diff <(sort a) <(sort b) > d.txt', ['d.txt']);
    clear('echo x | tee >(cat > copy.txt) > /dev/null', ['copy.txt']);
    clear('echo $((1 + 2)) > n.txt', ['n.txt']);
  });

  it('follows bash -c, sh -c, eval and a script fed to a shell', () => {
    clear(`bash -c 'echo x > a.ts'`, ['a.ts']);
    clear(`bash -lc "cd src && rm b.ts"`, ['src/b.ts']);
    clear(`sh -c 'sh -c "touch deep.ts"'`, ['deep.ts']);
    clear(`eval 'rm c.ts'`, ['c.ts']);
    clear("bash <<'EOF'\nrm d.ts\nEOF", ['d.ts']);
  });

  it('strips wrappers, assignments and keywords', () => {
    clear('sudo rm /etc/x', ['/etc/x']);
    clear('sudo -u root tee /etc/y', ['/etc/y']);
    clear('env A=1 B=2 sed -i s/a/b/ f.ts', ['f.ts']);
    clear('env -C sub touch g', ['sub/g']);
    clear('FOO=bar rm h', ['h']);
    clear('timeout 10 rm i', ['i']);
    clear('timeout -s KILL 5s rm j', ['j']);
    clear('nice -n 5 touch k', ['k']);
    clear('nohup cp a l &', ['l', 'l/a']);
    clear('command rm m', ['m']);
    clear('command -v rm', []);
    clear('time rm n', ['n']);
    clear('if true; then rm o; fi', ['o']);
    clear('while false; do touch p; done', ['p']);
    clear('! rm q', ['q']);
    clear('/bin/rm r', ['r']);
    clear('\\rm s', ['s']);
    clear('f() { rm t; }; f', ['t']);
    clear('function g { rm u; }; g', ['u']);
    clear('function h() { touch v; }', ['v']);
  });

  it('heredoc bodies are not commands', () => {
    clear("cat > notes.md <<'EOF'\nrm -rf / > everything\nEOF\necho done > d", ['notes.md', 'd']);
    clear('cat <<-EOF > x\n\trm y\n\tEOF\n', ['x']);
    clear('cat <<A <<B > out\na > 1\nA\nb > 2\nB\n', ['out']);
  });

  it('commands substituted in an unquoted here-document run; in a quoted one they do not', () => {
    clear('cat > a.txt <<EOF\n$(touch ran.ts) and `rm gone.ts`\nEOF', ['a.txt', 'ran.ts', 'gone.ts']);
    clear("cat > b.txt <<'EOF'\n$(touch not-run.ts)\nEOF", ['b.txt']);
    clear('cat > c.txt <<EOF\n\\$(touch escaped.ts) $((1+2))\nEOF', ['c.txt']);
  });

  it('comments are skipped', () => {
    clear('# rm everything > x\necho y > z # > not', ['z']);
    clear('echo a#b > c', ['c']);
  });

  it('CRLF line ends', () => {
    clear('echo a > x\r\necho b > y\r\n', ['x', 'y']);
  });
});

describe('shellWrites: unclear targets', () => {
  it('variables, globs, tildes and substitutions in a target', () => {
    unclear('echo x > $OUT');
    unclear('echo x > "${DIR}/f"');
    unclear('rm *.ts');
    unclear('rm src/[ab].ts');
    unclear('touch {a,b}.ts');
    unclear('touch f{1..3}');
    unclear('echo x > ~/notes');
    unclear('cp a "$(mktemp)"');
    clear("rm '*.ts'", ['*.ts']);
    clear('echo x > "~/lit"', ['~/lit']);
  });

  it('interpreters given code, find -delete/-exec, xargs with a writer, archives', () => {
    unclear(`python3 -c "open('src/held.ts','w').write('x')"`);
    unclear("node -e \"require('fs').writeFileSync('a','b')\"");
    unclear("python3 - <<'EOF'\nopen('x','w')\nEOF");
    unclear("ruby -e 'File.write(\"a\", 1)'");
    unclear("perl -e 'open F, \">x\"'");
    unclear('find . -name "*.tmp" -delete');
    unclear('find . -exec rm {} +');
    unclear('git ls-files | xargs rm');
    unclear('ls | xargs -I{} cp {} backup/', ['backup']);
    unclear('tar -xzf a.tgz');
    unclear('tar xf a.tar');
    clear('tar -czf out.tgz src > /dev/null', []);
    unclear('unzip a.zip');
    unclear('case $x in a) rm y;; esac', ['y']);
    unclear('$EDITOR file.ts');
  });

  it('unterminated quotes and substitutions', () => {
    unclear("echo 'abc > x");
    unclear('echo "abc > x');
    unclear('echo $(rm a', []);
  });
});

describe('shellWrites: limits', () => {
  it('never throws, whatever the input', () => {
    const odd = ['', ' ', ';;;', '|||', '((((', '))))', '<<', '<<EOF', '>', '> ', '$(', '`', "$'", '${', '\\', '\0', 'a\0b > c\0d', '<(', '>(', 'cd', 'git', 'git -C', 'sed -i', 'cp', 'xargs', 'env -C', 'sudo', 'bash -c', 'eval', 'f() {', '$((', '{ }'];
    for (const cmd of odd) expect(() => shellWrites(cmd, CWD), JSON.stringify(cmd)).not.toThrow();
    expect(shellWrites(undefined, CWD)).toEqual({ targets: [], unclear: false });
    expect(shellWrites(42, CWD)).toEqual({ targets: [], unclear: false });
  });

  it('a command past the size cap is unclear, but a patch in it is still read', () => {
    const big = `echo ${'x'.repeat(SHELL_MAX_CHARS)} > f`;
    expect(shellWrites(big, CWD)).toEqual({ targets: [], unclear: true });
    const patch = `apply_patch <<'EOF'\n*** Begin Patch\n*** Add File: p.ts\n+${'y'.repeat(SHELL_MAX_CHARS)}\n*** End Patch\nEOF`;
    expect(shellWrites(patch, CWD)).toEqual({ targets: ['/repo/p.ts'], unclear: true });
  });

  it('deep nesting stops being followed and says so', () => {
    let cmd = 'touch deep';
    for (let i = 0; i < 12; i++) cmd = `bash -c ${JSON.stringify(cmd)}`;
    expect(shellWrites(cmd, CWD).unclear).toBe(true);
  });

  it('reads a long command to its end', () => {
    const cmd = Array.from({ length: 20_000 }, (_, i) => `echo ${i} > f${i % 50}`).join(' && ');
    const r = shellWrites(cmd, CWD);
    expect(r.targets).toHaveLength(50);
    expect(r.unclear).toBe(false);
  });
});

describe('lex', () => {
  it('tells words, operators and fd prefixes apart', () => {
    const { tokens } = lex(`a 'b c' 2>e && f|g`);
    expect(tokens.map((x) => (x.kind === 'word' ? `w:${x.text}` : `o:${x.op}${x.fd ?? ''}`))).toEqual(['w:a', 'w:b c', 'o:>2', 'w:e', 'o:&&', 'w:f', 'o:|', 'w:g']);
  });

  it('records a here-document body on its operator', () => {
    const { tokens } = lex("cat <<'END' > x\nline 1\nline 2\nEND\nnext");
    const op = tokens.find((x) => x.kind === 'op' && x.op === '<<');
    expect(op && op.kind === 'op' ? op.body : null).toBe('line 1\nline 2');
    expect(tokens.at(-1)).toMatchObject({ kind: 'word', text: 'next' });
  });
});
